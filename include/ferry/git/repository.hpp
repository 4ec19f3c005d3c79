// The only interface to libgit2: open a repository, resolve a ref, read a
// tree, and write one commit safely.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/model/tree.hpp"

namespace ferry::git {

// libgit2's global state, held once by main (and by test runners).
class Library {
public:
    Library();
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;
};

// A fetch's progress, for a terminal: each line replaces the one shown
// before; `last` ends it (an empty last line erases it).
using Progress = std::function<void(const std::string& line, bool last)>;

// Whether git would create a branch of that name (a valid ref name under
// refs/heads/, not starting with '-', not HEAD or @).
bool is_valid_branch_name(const std::string& name);

struct Resolved {
    std::string ref;     // what was asked for, or the branch read
    std::string commit;  // full hex id
};

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

struct CommitInfo {
    std::string id;
    std::int64_t time = 0;  // seconds since the epoch, the committer's
    std::string author_name, author_email;
    std::string message;
};

class Repository {
public:
    static std::expected<Repository, std::string> open(const std::filesystem::path& path);
    // A repository named by URL, through its bare clone at `cache` (made on
    // first use): fetched now, so that its branches are the remote's. Writes
    // to it go to the remote: commit() pushes, and takes the commit back when
    // the push fails.
    static std::expected<Repository, std::string> open_remote(const std::string& url,
                                                              const std::filesystem::path& cache,
                                                              Progress progress = {});
    // The repository that holds `start` (its work tree or git folder, or a
    // folder inside them), searching parent folders as git does.
    static std::expected<Repository, std::string> discover(const std::filesystem::path& start);
    ~Repository();
    Repository(Repository&&) noexcept;
    Repository& operator=(Repository&&) noexcept;

    // `branch` names a branch (empty: the branch HEAD points at); `ref`, when
    // not empty, is any revision git understands and wins over the branch.
    std::expected<Resolved, std::string> resolve(const std::string& branch, const std::string& ref) const;
    // The tree at `folder` ("" for the root) of a commit, listed without reading blobs.
    std::expected<std::unique_ptr<TreeSource>, std::string> tree(const std::string& commit,
                                                                 const std::string& folder) const;
    std::filesystem::path git_dir() const;
    // The file every ferry writer to this repository (any of its work trees)
    // locks: <commondir>/ferry/write.lock.
    std::filesystem::path lock_file() const;
    // Whether this is a clone of a URL, written through to its remote.
    bool remote() const;
    // The work tree's root; empty for a bare repository.
    std::filesystem::path work_dir() const;
    // The branch HEAD names, even one with no commit yet.
    std::expected<std::string, std::string> head_branch() const;
    // No commit on any branch yet (a fresh `git init`).
    bool empty() const;
    // A git config value (the repository's, then global ones), if set.
    std::optional<std::string> config(const char* key) const;

    // Writes `changes` on top of base_commit as one commit and moves the
    // branch only if it still points at base_commit (compare-and-swap). A
    // checked-out branch's clean work tree and index are updated too; a
    // dirty one refuses the write. A remote() repository pushes the branch
    // as part of the write; when the remote's branch moved on meanwhile, the
    // new tip is fetched and the write fails as `moved`. Returns the new
    // commit, or nullopt when the changes change nothing.
    std::expected<std::optional<std::string>, WriteFailure> commit(const CommitRequest& request) const;
    // What commit() would refuse before writing anything (a dirty work
    // tree), so that a change spanning several repositories can be refused
    // before any of them is written.
    std::expected<void, WriteFailure> preflight(const CommitRequest& request) const;
    // The commits reachable from `commit`, newest first, that changed any of
    // `paths` (each compared with its first parent).
    std::expected<std::vector<CommitInfo>, std::string> history(const std::string& commit,
                                                                const std::vector<std::string>& paths) const;
    // Takes back a commit this process wrote with `request`, when a later
    // step failed (a push, another repository of the same change): the
    // branch (and its clean work trees) go back to base_commit, only if
    // the branch still points at `commit`. A remote() repository's commit
    // has been pushed already and is left as it is (an `other` failure).
    std::expected<void, WriteFailure> undo(const CommitRequest& request, const std::string& commit) const;
    // Finishes what a ferry process killed while writing left half-done:
    // the work trees of a branch it had moved (or was moving back) are
    // brought to where the branch points. Every write does this first; a
    // command that ends up writing nothing calls it so that running it
    // again always leaves the repository consistent.
    void finish_interrupted_write() const;
    // Pushes `branch` to its upstream's remote, else to origin (a remote()
    // repository: to its URL).
    std::expected<void, WriteFailure> push(const std::string& branch) const;

private:
    struct Impl;
    explicit Repository(std::unique_ptr<Impl> impl);
    static std::expected<Repository, std::string> open_ext(const std::filesystem::path& path, unsigned flags,
                                                           std::string_view failure);
    std::unique_ptr<Impl> impl_;
};

class FileLock;

// One repository's write lock, held until destroyed: other ferry processes
// (and threads) wait to write to it, while this thread's own commit(),
// undo() and preflight() go through. Destroy it on the thread that took it.
class WriteHold {
public:
    explicit WriteHold(std::unique_ptr<FileLock> lock);
    WriteHold(WriteHold&&) noexcept;
    WriteHold& operator=(WriteHold&&) noexcept;
    ~WriteHold();

private:
    std::unique_ptr<FileLock> lock_;
};

// Holds the write locks of all of `repos` (in a fixed order, so that two
// writers to overlapping sets never wait for each other), for a change that
// spans them: no one else can commit between one repository's commit and
// its undo when a later repository fails.
std::vector<WriteHold> hold_writes(const std::vector<const Repository*>& repos);

}  // namespace ferry::git
