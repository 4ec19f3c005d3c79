// What a write goes through: a repository's branches, under its write lock.
//
// write/'s transaction drives every change ferry makes to a repository
// through this interface: the libgit2 Repository in production, an
// in-memory fake in the unit tests (tests/unit/transaction_test.cpp), so
// that retries, undo and lock order are tested without disk or git.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ferry::git {

struct Identity {
    std::string name;
    std::string email;
};

// One file of a commit: new content, or removal when `content` is empty.
struct FileChange {
    std::string path;  // inside the repository
    std::optional<std::string> content;
};

struct CommitRequest {
    std::string branch;       // the branch the change was computed from
    std::string base_commit;  // its tip then; empty when the branch had no commit
    std::string new_branch;   // when set, the commit goes on this new branch instead
    std::vector<FileChange> changes;
    std::string message;
    Identity author;
};

// Why a write did not happen. Nothing is left half-written in any case.
struct WriteFailure {
    enum class Kind {
        moved,           // the branch no longer points at base_commit: plan again
        worktree_dirty,  // the branch is checked out with uncommitted changes
        push_rejected,
        other,
    } kind;
    std::string message;
};

// A change across repositories, one commit each, as a record kept in each
// of them while their branches move: the commits are all made first, then
// the record written to every repository, then the branches moved, then the
// records removed. A process killed in between leaves the records, and the
// next write to any of those repositories moves the branches still at
// their base to their commit (state `commit`), or moves those at their
// commit back (state `undo`, or when a part can no longer be finished), so
// that the change is whole or absent.
struct IntentPart {
    std::string lock_key;  // the repository, by CommitTarget::lock_key()
    std::string ref;       // refs/heads/...
    std::string base;      // its tip before; empty: the ref did not exist
    std::string commit;    // its tip after
};
struct Intent {
    enum class State { commit, undo } state = State::commit;
    std::vector<IntentPart> parts;
};

// A target's write lock, held until destroyed (on the thread that took it).
class WriteHold {
public:
    struct Lock {
        virtual ~Lock() = default;
    };
    WriteHold() = default;
    explicit WriteHold(std::unique_ptr<Lock> lock) : lock_(std::move(lock)) {}

private:
    std::unique_ptr<Lock> lock_;
};

class CommitTarget {
public:
    virtual ~CommitTarget() = default;

    // Names the target's write lock: a change spanning several targets
    // takes their locks in the order of these keys, so that two writers to
    // overlapping sets never wait for each other.
    virtual std::string lock_key() const = 0;
    // Holds the write lock: other writers wait, while this thread's own
    // preflight(), commit() and undo() go through.
    virtual WriteHold hold() const = 0;

    // What commit() would refuse before writing anything (a branch that
    // moved, a dirty work tree), so that a change spanning several targets
    // is refused before any of them is written.
    virtual std::expected<void, WriteFailure> preflight(const CommitRequest& request) const = 0;
    // Writes the commit's objects (blobs, trees, the commit) on top of
    // base_commit without moving any branch: returns the new commit, or
    // nullopt when the changes change nothing. Until publish(), nothing
    // refers to them.
    virtual std::expected<std::optional<std::string>, WriteFailure> prepare(const CommitRequest& request) const = 0;
    // Moves the branch to `commit` (made by prepare) only if it still points
    // at base_commit (compare-and-swap), and its work trees with it.
    virtual std::expected<void, WriteFailure> publish(const CommitRequest& request,
                                                      const std::string& commit) const = 0;
    // prepare() and publish() in one.
    std::expected<std::optional<std::string>, WriteFailure> commit(const CommitRequest& request) const {
        auto made = prepare(request);
        if (!made || !*made) return made;
        if (auto moved = publish(request, **made); !moved) return std::unexpected(moved.error());
        return made;
    }
    // Takes back `commit`, written with `request`, when a later step of the
    // same change failed: the branch goes back to base_commit, only if it
    // still points at `commit`.
    virtual std::expected<void, WriteFailure> undo(const CommitRequest& request, const std::string& commit) const = 0;
    // Finishes what a writer killed half-way left behind (see
    // git/worktrees.hpp), and an interrupted change across repositories
    // (see Intent); every change starts with it. A failure says what could
    // not be finished (the write that follows refuses the same).
    virtual std::expected<void, WriteFailure> finish_interrupted_write() const = 0;
    // Keeps `intent` in the target until clear_intent(), so that a change
    // across repositories that is cut short is finished, or taken back, by
    // the next write to any of them.
    virtual std::expected<void, WriteFailure> record_intent(const Intent& intent) const = 0;
    virtual void clear_intent() const = 0;
    // Pushes `branch` to its upstream's remote, else to origin.
    virtual std::expected<void, WriteFailure> push(const std::string& branch) const = 0;
    // Whether commit() already pushes (a clone of a URL): such a commit
    // cannot be taken back.
    virtual bool remote() const = 0;
    // A git config value, if set: the author's name comes from user.name.
    virtual std::optional<std::string> config(const char* key) const = 0;
};

}  // namespace ferry::git
