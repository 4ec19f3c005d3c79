#include "ferry/write/transaction.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <thread>
#include <utility>

namespace ferry {
namespace {

// The commits of one target and branch, made as one.
struct Group {
    git::CommitTarget* target;
    std::vector<std::string> workspaces;
    git::CommitRequest request;
    std::string commit;  // once made
    bool pushed = false;
};

// Exponential backoff with full jitter: a random wait up to 10 ms, 20 ms,
// 40 ms, ... and never more than kMaxBackOff. Random in each process, so
// that writers that lost a round do not collide again at once, and growing,
// so that a writer losing to a busy branch waits for a quiet moment rather
// than spending its attempts at once. kWriteAttempts rounds wait about
// 12 s in all at most, before the refusal.
constexpr int kMaxBackOffMs = 640;

void back_off_with_jitter(int attempt) {
    thread_local std::mt19937 jitter(std::random_device{}());
    const int ceiling = std::min(kMaxBackOffMs, 10 << std::min(attempt - 1, 6));
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + jitter() % ceiling));
}

std::vector<Group> group_writes(std::vector<Write>& writes, const TransactionOptions& options) {
    std::vector<Group> groups;
    std::map<std::pair<git::CommitTarget*, std::string>, std::size_t> index;
    for (Write& w : writes) {
        if (w.files.empty()) continue;
        auto [at, added] = index.try_emplace({w.target, w.branch}, groups.size());
        if (added) {
            // The first workspace's message and origin speak for the commit.
            git::CommitRequest request{w.branch,
                                       w.base_commit,
                                       options.new_branch,
                                       {},
                                       with_trailers(w.message, w.from, options.actor),
                                       author_for(options.actor, *w.target)};
            groups.push_back({w.target, {}, std::move(request), {}, false});
        }
        Group& group = groups[at->second];
        if (std::ranges::find(group.workspaces, w.workspace) == group.workspaces.end())
            group.workspaces.push_back(w.workspace);
        std::ranges::move(w.files, std::back_inserter(group.request.changes));
    }
    // Committed (and reported) in a fixed order, whatever order the writes
    // came in: by lock key, then branch.
    std::ranges::stable_sort(groups, {},
                             [](const Group& g) { return std::pair(g.target->lock_key(), g.request.branch); });
    return groups;
}

// One attempt at writing every group: all of them, or none.
class Attempt {
public:
    Attempt(std::vector<Group>& groups, const TransactionOptions& options, bool may_retry, Diagnostics& warnings)
        : groups_(groups), options_(options), may_retry_(may_retry), warnings_(warnings) {}

    // True when written; false when a branch moved and the whole may be
    // computed again; else the diagnostics, with nothing left written.
    std::expected<bool, Diagnostics> run() {
        const std::vector<git::WriteHold> holds = hold_all();
        for (Group& g : groups_) {
            auto ok = g.target->preflight(g.request);
            if (!ok && retrying(ok.error())) return false;
            if (!ok) return refuse(g, ok.error());
        }
        std::vector<Group*> made;
        for (Group& g : groups_) {
            auto prepared = g.target->prepare(g.request);
            if (!prepared) return refuse(g, prepared.error());
            if (!*prepared) continue;  // it changes nothing
            g.commit = **prepared;
            made.push_back(&g);
        }
        if (auto recorded = record_intent(made); !recorded)
            return refuse(*recorded.error().first, recorded.error().second);
        for (Group* g : made) {
            auto moved = g->target->publish(g->request, g->commit);
            if (!moved) {
                const bool again = retrying(moved.error());
                take_back(again);
                clear_intent();
                if (again) return false;
                return refuse(*g, moved.error());
            }
            g->pushed = g->target->remote();  // its commit pushes
            done_.push_back(g);
        }
        clear_intent();
        for (Group* g : done_) {
            const std::string branch = options_.new_branch.empty() ? g->request.branch : options_.new_branch;
            if (!options_.push || g->pushed) continue;
            if (auto sent = g->target->push(branch); !sent) {
                // A deployment that did not reach the remote is not left
                // half-done here: running it again retries the whole. What
                // was pushed already stays, and is said.
                take_back(false);
                return refuse(*g, sent.error());
            }
            g->pushed = true;
        }
        return true;
    }

    const std::vector<Group*>& done() const { return done_; }

private:
    bool retrying(const git::WriteFailure& failure) const {
        return may_retry_ && failure.kind == git::WriteFailure::Kind::moved;
    }

    // Held from the checks to the last commit (or undo), so that no other
    // writer commits on a target between its commit and its undo.
    std::vector<git::WriteHold> hold_all() const {
        std::vector<std::pair<std::string, git::CommitTarget*>> targets;
        for (const Group& g : groups_)
            targets.emplace_back(g.target->lock_key(), g.target);
        std::ranges::sort(targets);
        auto [first, last] = std::ranges::unique(targets, {}, &std::pair<std::string, git::CommitTarget*>::first);
        targets.erase(first, last);
        std::vector<git::WriteHold> holds;
        for (const auto& [key, target] : targets)
            holds.push_back(target->hold());
        return holds;
    }

    // A change across two or more local repositories is recorded in each
    // before any branch moves (see git::Intent), so that a kill between
    // their moves is finished, or taken back, by the next write. A
    // repository that writes through to a remote pushes as it moves: its
    // commit cannot be taken back, and is not part of the record.
    std::expected<void, std::pair<const Group*, git::WriteFailure>> record_intent(const std::vector<Group*>& made) {
        intent_ = {};
        std::vector<git::CommitTarget*> targets;
        for (const Group* g : made) {
            if (g->target->remote()) continue;
            const std::string& ref_branch = options_.new_branch.empty() ? g->request.branch : options_.new_branch;
            intent_.parts.push_back({g->target->lock_key(), "refs/heads/" + ref_branch,
                                     options_.new_branch.empty() ? g->request.base_commit : "", g->commit});
            if (std::ranges::find(targets, g->target) == targets.end()) targets.push_back(g->target);
        }
        if (targets.size() < 2) return {};
        for (git::CommitTarget* target : targets) {
            if (auto recorded = target->record_intent(intent_); !recorded) {
                clear_intent();
                const Group* g = *std::ranges::find(made, target, &Group::target);
                return std::unexpected(std::pair(g, recorded.error()));
            }
            recorded_.push_back(target);
        }
        return {};
    }

    void clear_intent() {
        if (!keep_intent_) {
            for (git::CommitTarget* target : recorded_)
                target->clear_intent();
        }
        recorded_.clear();
    }

    // Takes back the commits made, newest first. A commit pushed already
    // stays (computing again starts from it); one that cannot be taken back
    // (a git client moved the branch on) is said, whatever happens next.
    void take_back(bool before_retry) {
        bool stuck = false;
        if (!done_.empty() && !recorded_.empty()) {
            // Said first, so that a kill while taking back goes on taking back.
            intent_.state = git::Intent::State::undo;
            for (git::CommitTarget* target : recorded_)
                (void)target->record_intent(intent_);
        }
        for (auto it = done_.rbegin(); it != done_.rend(); ++it) {
            Group& g = **it;
            const std::string& who = g.workspaces.front();
            if (g.pushed) {
                if (!before_retry) {
                    warnings_.add(warning(
                        code::git, who + ": the commit " + g.commit.substr(0, 12) + " was pushed already; it stays", {},
                        who));
                }
                continue;
            }
            if (auto undone = g.target->undo(g.request, g.commit); !undone) {
                warnings_.add(warning(code::git,
                                      who + ": the commit " + g.commit.substr(0, 12) +
                                          " could not be taken back: " + undone.error().message,
                                      {}, who));
                stuck = true;
            }
        }
        done_.clear();
        if (stuck && !recorded_.empty()) {
            // A commit another git client built on stays: the change can
            // only be finished now, and the records say so, for the next
            // write to any of these repositories.
            intent_.state = git::Intent::State::commit;
            for (git::CommitTarget* target : recorded_)
                (void)target->record_intent(intent_);
            keep_intent_ = true;
        }
    }

    std::unexpected<Diagnostics> refuse(const Group& g, const git::WriteFailure& failure) {
        Diagnostic d = write_failure(failure, g.workspaces.front());
        if (failure.kind == git::WriteFailure::Kind::moved && !options_.stale_hint.empty())
            d.hint = options_.stale_hint;
        Diagnostics out;
        out.add(std::move(d));
        out.append(std::move(warnings_));
        return std::unexpected(std::move(out));
    }

    std::vector<Group>& groups_;
    const TransactionOptions& options_;
    const bool may_retry_;
    std::vector<Group*> done_;
    git::Intent intent_;                        // of the change across repositories, if any
    std::vector<git::CommitTarget*> recorded_;  // the targets holding it
    bool keep_intent_ = false;                  // left for the next write to finish
    Diagnostics& warnings_;                     // kept across attempts
};

}  // namespace

std::expected<TransactionResult, Diagnostics> run_transaction(const std::vector<git::CommitTarget*>& recover,
                                                              const TransactionOptions& options,
                                                              const ComputeWrites& compute) {
    Diagnostics warnings;
    for (int attempt = 1;; ++attempt) {
        // Before every attempt: a writer killed meanwhile may have left a
        // change across repositories half-written, which the checks refuse
        // to build on (git::Repository::preflight) until it is finished.
        for (git::CommitTarget* target : recover) {
            if (auto finished = target->finish_interrupted_write(); !finished) {
                std::string message = "an interrupted write could not be finished: " + finished.error().message;
                if (std::ranges::none_of(warnings.items, [&](const Diagnostic& d) { return d.message == message; }))
                    warnings.add(warning(code::git, std::move(message)));
            }
        }
        auto writes = compute(attempt);
        if (!writes) {
            writes.error().append(std::move(warnings));
            return std::unexpected(std::move(writes.error()));
        }
        std::vector<Group> groups = group_writes(*writes, options);
        const bool may_retry =
            options.on_moved == TransactionOptions::OnMoved::compute_again && attempt < kWriteAttempts;
        Attempt write(groups, options, may_retry, warnings);
        auto outcome = write.run();
        if (!outcome) return std::unexpected(std::move(outcome.error()));
        if (*outcome) {
            TransactionResult result;
            for (const Group* g : write.done()) {
                const std::string branch = options.new_branch.empty() ? g->request.branch : options.new_branch;
                for (const std::string& workspace : g->workspaces)
                    result.written.push_back({workspace, branch, g->commit, g->pushed});
            }
            result.warnings = std::move(warnings);
            return result;
        }
        // Another writer moved a branch: start over from the new tips.
        (options.back_off ? options.back_off : back_off_with_jitter)(attempt);
    }
}

std::string with_trailers(const std::string& message, const std::string& from, const std::string& actor) {
    std::string out = message + "\n\n";
    if (!from.empty()) out += "Ferry-From: " + from + "\n";
    return out + "Ferry-Actor: " + actor + "\n";
}

git::Identity author_for(const std::string& actor, const git::CommitTarget& target) {
    // SPEC 1: in CI the actor is the account GitHub authenticated.
    if (actor.starts_with("github:")) {
        const std::string login = actor.substr(7);
        return {login, login + "@users.noreply.github.com"};
    }
    if (auto email = target.config("user.email"); email && *email == actor) {
        if (auto name = target.config("user.name")) return {*name, actor};
    }
    return {actor.substr(0, actor.find('@')), actor};
}

Diagnostic write_failure(const git::WriteFailure& failure, const std::string& workspace) {
    using Kind = git::WriteFailure::Kind;
    std::string_view code = failure.kind == Kind::worktree_dirty  ? code::worktree_dirty
                            : failure.kind == Kind::moved         ? code::stale_plan
                            : failure.kind == Kind::push_rejected ? code::push_rejected
                                                                  : code::git;
    return error(code, workspace + ": " + failure.message, {}, workspace);
}

}  // namespace ferry
