// Work trees and the safety of writes, shared by the files of git/: which
// work trees have a branch checked out, bringing them from one tree to
// another, ferry's write lock, and the record that lets a write killed
// half-way through its work trees be finished by the next one.
#pragma once

#include <expected>
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

// Brings a work tree from `from` (null: nothing) to `to`, both trees of the
// repository, refusing to overwrite anything changed meanwhile. Files that
// already hold their content in `to` are not changes, so a checkout that
// was cut short can be run again to finish it.
int checkout_between(git_repository* checkout, const git_oid* from, const git_oid* to);

// Uncommitted changes to tracked files, or an untracked file at one of
// `written` (or under it), make a write unsafe for the work tree.
std::expected<void, WriteFailure> require_clean(git_repository* repo, const std::vector<FileChange>& changes);

// Moving a checked-out branch and updating its work trees cannot be one
// atomic step. So, under the write lock and before the branch moves, ferry
// records in `<commondir>/ferry/checkout-pending` the branch and the two
// commits its work trees are between, and removes the record once they are
// updated. A process killed in between leaves the record behind, and the
// next write (finish_pending_checkout, under the lock) brings the work trees
// to whichever of the two commits the branch points at, or drops the record
// when it points at neither (it moved on since, so its work trees were not
// left half-way by ferry). Taking a write back is recorded the same way.
struct PendingCheckout {
    std::string ref;
    git_oid old_commit;  // zero: the branch had no commit
    git_oid new_commit;
};
std::expected<void, WriteFailure> record_pending_checkout(git_repository* repo, const PendingCheckout& pending);
void clear_pending_checkout(git_repository* repo);
bool has_pending_checkout(git_repository* repo);
// Call with the write lock held. A work tree that cannot be finished (it
// was changed since by hand) keeps the record and is left as it is: the
// write that follows refuses it as worktree-dirty.
void finish_pending_checkout(git_repository* repo);

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
