// The one write transaction: every command that changes a repository
// (init, link, unlink, publish, reconcile, apply) goes through it.
//
// A command passes a function that reads what it needs (workspaces at their
// branch tips) and computes the commits to make. The transaction then, in
// this order and nowhere else:
//   1. finishes what an earlier writer killed half-way left behind, on every
//      target the command may write (even when it then writes nothing);
//   2. groups the commits by target and branch: one commit per repository
//      and branch, so that two workspaces of a monorepo change together;
//   3. holds every target's write lock, in the order of their lock keys, from
//      the checks to the last commit or undo;
//   4. checks every target before writing any (a branch that moved, a dirty
//      work tree);
//   5. makes every commit (objects only); when they span two or more
//      repositories, records the intent in each (git::Intent) so that a
//      kill from here on is finished or taken back by the next write; moves
//      each branch (in the order of their lock keys), and takes back the
//      branches already moved when a later one (or a push) fails: all or
//      nothing across repositories, but for a commit a remote has already,
//      which stays and is said;
//   6. when another writer moved a branch, backs off (exponentially, with
//      full jitter, at most 640 ms a round) and starts over with a fresh
//      read, up to kWriteAttempts times (about 12 s of waiting at most), or
//      refuses at once with stale-plan when the command must write exactly
//      what it read (apply).
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include "ferry/git/commit_target.hpp"
#include "ferry/model/diagnostic.hpp"

namespace ferry {

// How many times a write is computed again when other writers keep moving
// its branch: enough for a handful of concurrent writers to one branch, as
// each round one of them wins.
inline constexpr int kWriteAttempts = 25;

// One commit to make.
struct Write {
    std::string workspace;  // whose change it is, for reports and diagnostics
    git::CommitTarget* target = nullptr;
    std::string branch;                  // the branch read
    std::string base_commit;             // its tip when read; empty when it had none
    std::vector<git::FileChange> files;  // paths inside the repository
    std::string message;                 // summary line and body: the trailers are added
    std::string from;                    // WORKSPACE@COMMIT deployed from (a Ferry-From trailer), if any
};

struct Written {
    std::string workspace;
    std::string branch;  // where the commit went (--branch, else the branch read)
    std::string commit;
    bool pushed = false;  // by --push, or by a target that writes through to a remote
};

struct TransactionOptions {
    std::string actor;       // the author, and the Ferry-Actor trailer
    std::string new_branch;  // --branch: commits go on this new branch instead
    bool push = false;       // --push: push each written branch; a failed push undoes what was not pushed
    // What to do when another writer moved a branch: read and compute
    // again, or refuse with stale-plan (a saved plan is written exactly).
    enum class OnMoved { compute_again, refuse } on_moved = OnMoved::compute_again;
    // stale-plan's hint: how to plan again.
    std::string stale_hint;
    // How long to wait before attempt `attempt` + 1; the default backs off
    // a few milliseconds, more each time, with jitter.
    std::function<void(int attempt)> back_off;
};

// Reads and computes the commits to make; `attempt` counts from 1. An
// empty list writes nothing (a plan with no changes, a blocked one).
using ComputeWrites = std::function<std::expected<std::vector<Write>, Diagnostics>(int attempt)>;

struct TransactionResult {
    std::vector<Written> written;  // one entry per workspace of each commit made
    // A commit that could not be taken back (a git client moved its branch
    // on), a commit a remote kept: said even when a later attempt succeeds.
    Diagnostics warnings;
};

// Runs the transaction. `recover` are the targets whose interrupted writes
// are finished first. Returns what was written, or the diagnostics that
// stopped it (the warnings above among them), with nothing written but
// what those warnings name.
std::expected<TransactionResult, Diagnostics> run_transaction(const std::vector<git::CommitTarget*>& recover,
                                                              const TransactionOptions& options,
                                                              const ComputeWrites& compute);

// SPEC 4.2's trailers end every message ferry writes (Ferry-From only when
// `from` is set).
std::string with_trailers(const std::string& message, const std::string& from, const std::string& actor);

// The commit author for the actor: the target's user.name when its
// user.email is the actor's own, else the email's local part; for a CI
// actor `github:LOGIN`, LOGIN with GitHub's no-reply address.
git::Identity author_for(const std::string& actor, const git::CommitTarget& target);

// A refused write as a diagnostic with its SPEC code.
Diagnostic write_failure(const git::WriteFailure& failure, const std::string& workspace);

}  // namespace ferry
