// Work trees and the safety of writes, shared by the files of git/: which
// work trees have a branch checked out, bringing them from one tree to
// another, ferry's write lock, and the record that lets a write killed
// half-way through its work trees be finished by the next one.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "handles.hpp"

namespace ferry::git {

// The work trees that have `ref_name` checked out and so must be kept in
// step: the main one and any linked one (`git worktree add`).
struct Checkouts {
    std::vector<git_repository*> repos;
    std::vector<RepoHandle> owned;  // linked work trees, opened here
};
Checkouts checkouts_of(git_repository* repo, const std::string& ref_name);

// git's own lock on a work tree's index (`<gitdir>/index.lock`), which every
// git command that writes the index or commits takes first. ferry takes it
// before it moves a checked-out branch and holds it until the work tree and
// the index are written, as git does: a `git commit` meanwhile fails
// instead of committing the old index on top of ferry's commit. A lock
// that a killed ferry left behind is taken over (ferry's own write lock is
// held); one a running git process holds is waited for a moment, then
// refused, before anything moves.
class IndexLock {
public:
    static std::expected<IndexLock, WriteFailure> take(git_repository* checkout);
    IndexLock(IndexLock&& other) noexcept;
    IndexLock& operator=(IndexLock&&) = delete;
    ~IndexLock();  // gives the lock back

    // Replaces the index with `index`'s entries: written aside, then renamed
    // over the index while the lock is held.
    std::expected<void, WriteFailure> replace_index(git_index* index);

private:
    explicit IndexLock(std::filesystem::path lock) : lock_(std::move(lock)) {}
    std::filesystem::path lock_;
};

// The index.lock files a killed ferry left in the repository's work trees
// (git commands refuse to run while they exist). Remove them only with
// ferry's write lock held: then no ferry holds them any more.
std::vector<std::filesystem::path> stale_index_locks(git_repository* repo);

// Brings a work tree and its index from tree `from` (null: nothing) to tree
// `to` at every path where the two differ, whatever those files hold now,
// so that it finishes a write that was cut short. Each file is written
// beside its place and renamed over it: a kill at any instant leaves every
// file as it was or as it should be, never half-written.
std::expected<void, WriteFailure> update_worktree(git_repository* checkout, const git_oid* from, const git_oid* to,
                                                  IndexLock& lock);

// Uncommitted changes to tracked files, or an untracked file at one of
// `written` (or under it), make a write unsafe for the work tree.
std::expected<void, WriteFailure> require_clean(git_repository* repo, const std::vector<FileChange>& changes);

// Moving a checked-out branch and updating its work trees cannot be one
// atomic step. So, under the write lock and before the branch moves, ferry
// records in `<commondir>/ferry/checkout-pending` the branch and the two
// commits its work trees are between, and removes the record once they are
// updated. (It records a move of any branch: a kill inside the ref's update
// leaves the ref's lock file, holding one of the two commits, which the next
// write then removes as its own rather than take for another git's.) A process killed in between leaves the record
// behind, and the next write (finish_pending_checkout, under the lock) brings the work trees to whichever of the two
// commits the branch points at, or drops the record when it points at neither (it moved on since, so its work trees
// were not left half-way by ferry). Taking a write back is recorded the same way.
struct PendingCheckout {
    std::string ref;
    git_oid old_commit;  // zero: the branch had no commit
    git_oid new_commit;
};
std::expected<void, WriteFailure> record_pending_checkout(git_repository* repo, const PendingCheckout& pending);
void clear_pending_checkout(git_repository* repo);
bool has_pending_checkout(git_repository* repo);
// Call with the write lock held. The paths that differ between the two
// commits are brought to the branch's commit in every work tree that has it
// checked out, whatever a kill left them holding. When a work tree cannot
// be finished (a running git process holds its index) the record stays,
// for the next write, and the failure says why.
std::expected<void, WriteFailure> finish_pending_checkout(git_repository* repo);

// With the write lock held, an intent record in the repository is one a
// killed writer left (a live one holds the lock until it removes its
// record): a write then waits for it to be finished first. `moved` when
// the record can be finished (the transaction reads and computes again,
// finishing it), `other` when it cannot be read (git/intent.cpp).
std::expected<void, WriteFailure> no_interrupted_intent(git_repository* repo);

// Test hook, for the crash-safety tests only (tests/e2e/test_crash.py):
// each step of a write that leaves something on disk (an object, the
// pending-checkout record, a branch move, a file of a work tree) calls
// this, and with FERRY_TEST_KILL_AFTER_WRITES=N in the environment the
// process kills itself with SIGKILL right after its Nth step, as an OOM
// killer or a CI timeout would. Unset or 0: nothing happens. Only a build
// configured with -DFERRY_TEST_HOOKS=ON has it; any other build compiles
// the calls away.
#ifdef FERRY_TEST_HOOKS
void test_write_step();
#else
inline void test_write_step() {}
#endif

}  // namespace ferry::git
