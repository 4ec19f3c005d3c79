// The intent record of a change across repositories (see Intent in
// ferry/git/commit_target.hpp): kept in <commondir>/ferry/intent of each
// repository the change writes, read back by the next write to any of them,
// which finishes the change or takes it back in all of them.
//
// The record is a few lines of text, written aside and renamed into place,
// so that it is whole or absent:
//
//     ferry-intent 1
//     state commit
//     part <ref> <base or -> <commit> <lock key>
//     part ...
//
// The lock key, last on its line, is the canonical path of the
// repository's <commondir>/ferry/write.lock: it may hold spaces.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "handles.hpp"
#include "worktrees.hpp"

namespace ferry::git {
namespace {

std::unexpected<WriteFailure> fail(std::string message) {
    return std::unexpected(WriteFailure{WriteFailure::Kind::other, std::move(message)});
}

std::filesystem::path intent_path_of(const std::filesystem::path& commondir) {
    return commondir / "ferry" / "intent";
}

// A lock key names <commondir>/ferry/write.lock.
std::filesystem::path commondir_of(const std::string& lock_key) {
    return std::filesystem::path(lock_key).parent_path().parent_path();
}

std::string serialize(const Intent& intent) {
    std::string out = "ferry-intent 1\nstate ";
    out += intent.state == Intent::State::commit ? "commit\n" : "undo\n";
    for (const IntentPart& p : intent.parts)
        out += "part " + p.ref + ' ' + (p.base.empty() ? "-" : p.base) + ' ' + p.commit + ' ' + p.lock_key + '\n';
    return out;
}

// nullopt when there is no record; an error when it cannot be read.
std::expected<std::optional<Intent>, std::string> read_intent(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string line;
    if (!std::getline(in, line) || line != "ferry-intent 1") return std::unexpected("not an intent record");
    Intent intent;
    if (!std::getline(in, line) || (line != "state commit" && line != "state undo")) return std::unexpected("no state");
    intent.state = line == "state commit" ? Intent::State::commit : Intent::State::undo;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string word;
        IntentPart part;
        fields >> word >> part.ref >> part.base >> part.commit;
        fields.get();  // the one space before the lock key
        std::getline(fields, part.lock_key);
        if (word != "part" || part.lock_key.empty() || !git_reference_is_valid_name(part.ref.c_str()))
            return std::unexpected("a part cannot be read");
        if (part.base == "-") part.base.clear();
        intent.parts.push_back(std::move(part));
    }
    if (intent.parts.empty()) return std::unexpected("no part");
    return intent;
}

std::expected<void, WriteFailure> write_intent(const std::filesystem::path& commondir, const Intent& intent) {
    const std::filesystem::path path = intent_path_of(commondir);
    const std::filesystem::path aside = path.string() + ".new";
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    {
        std::ofstream out(aside, std::ios::binary | std::ios::trunc);
        out << serialize(intent);
        if (!out.flush()) return fail("cannot write " + aside.string());
    }
    std::filesystem::rename(aside, path, ec);
    if (ec) return fail("cannot write " + path.string() + ": " + ec.message());
    test_write_step();
    return {};
}

void remove_intent(const std::filesystem::path& commondir) {
    std::error_code ec;
    if (std::filesystem::remove(intent_path_of(commondir), ec)) test_write_step();
}

std::string repository_list(const Intent& intent) {
    std::set<std::string> seen;
    std::string out;
    for (const IntentPart& p : intent.parts) {
        if (!seen.insert(p.lock_key).second) continue;
        out += (out.empty() ? "" : ", ") + commondir_of(p.lock_key).string();
    }
    return out;
}

// Where a part's branch is now: at its base, at its commit, past its commit
// (other commits made on top of it since), or elsewhere (moved on without it).
enum class At { base, commit, past, elsewhere };

At where_is(git_repository* repo, const IntentPart& part) {
    git_oid now{}, made{};
    const int rc = git_reference_name_to_id(&now, repo, part.ref.c_str());
    if (rc == GIT_ENOTFOUND) return part.base.empty() ? At::base : At::elsewhere;
    if (rc != 0 || git_oid_fromstr(&made, part.commit.c_str()) != 0) return At::elsewhere;
    const std::string id = hex(&now);
    if (id == part.commit) return At::commit;
    if (id == part.base) return At::base;
    return git_graph_descendant_of(repo, &now, &made) == 1 ? At::past : At::elsewhere;
}

// The request that moves a part's branch, as the writer made it: the paths
// that differ between base and commit, for the work tree's checks.
CommitRequest request_for(git_repository* repo, const IntentPart& part) {
    CommitRequest request;
    request.branch = part.ref.substr(std::string_view("refs/heads/").size());
    request.base_commit = part.base;
    request.message = "ferry: finish an interrupted write";
    git_oid base{}, commit{};
    git_commit *b = nullptr, *c = nullptr;
    git_tree *bt = nullptr, *ct = nullptr;
    if (!part.base.empty() && git_oid_fromstr(&base, part.base.c_str()) == 0 && git_commit_lookup(&b, repo, &base) == 0)
        git_commit_tree(&bt, b);
    if (git_oid_fromstr(&commit, part.commit.c_str()) == 0 && git_commit_lookup(&c, repo, &commit) == 0)
        git_commit_tree(&ct, c);
    git_diff* diff = nullptr;
    if (ct && git_diff_tree_to_tree(&diff, repo, bt, ct, nullptr) == 0) {
        for (std::size_t i = 0, n = git_diff_num_deltas(diff); i < n; ++i) {
            const git_diff_delta* d = git_diff_get_delta(diff, i);
            request.changes.push_back({d->new_file.path ? d->new_file.path : d->old_file.path, std::nullopt});
        }
    }
    git_diff_free(diff);
    git_tree_free(bt);
    git_tree_free(ct);
    git_commit_free(b);
    git_commit_free(c);
    return request;
}

}  // namespace

std::expected<void, WriteFailure> no_interrupted_intent(git_repository* repo) {
    const std::filesystem::path path = intent_path_of(git_repository_commondir(repo));
    auto intent = read_intent(path);
    if (!intent) {
        return fail("the intent record " + path.string() + " cannot be read (" + intent.error() +
                    "); remove it once every repository it names is as it should be");
    }
    if (!*intent) return {};
    return std::unexpected(WriteFailure{WriteFailure::Kind::moved, "a change across repositories was cut short here (" +
                                                                       path.string() + "): it is finished first"});
}

std::expected<void, WriteFailure> Repository::record_intent(const Intent& intent) const {
    return write_intent(git_repository_commondir(impl_->repo.get()), intent);
}

void Repository::clear_intent() const {
    remove_intent(git_repository_commondir(impl_->repo.get()));
}

std::optional<std::string> Repository::interrupted_write() const {
    const std::filesystem::path path = intent_path_of(git_repository_commondir(impl_->repo.get()));
    auto intent = read_intent(path);
    if (intent && !*intent) return std::nullopt;
    const std::string what = intent ? "a change across " + repository_list(**intent) : "a change across repositories";
    return what + " was cut short (" + path.string() +
           "); the next ferry command that writes to one of them finishes it, or takes it back, in all of them";
}

// Called by finish_interrupted_write() before it takes this repository's
// write lock: the locks of every repository the record names are taken
// here, in the order of their keys, as a writer takes them.
std::expected<void, WriteFailure> Repository::finish_intent() const {
    const Repository& self = *this;
    git_repository* repo = impl_->repo.get();
    const std::filesystem::path own = git_repository_commondir(repo);
    auto first = read_intent(intent_path_of(own));
    if (!first)
        return fail("the intent record " + intent_path_of(own).string() + " cannot be read (" + first.error() +
                    "); remove it once every repository it names is as it should be");
    if (!*first) return {};
    std::set<std::string> keys;
    for (const IntentPart& p : (*first)->parts)
        keys.insert(p.lock_key);
    keys.insert(self.lock_key());
    std::vector<std::unique_ptr<FileLock>> locks;
    for (const std::string& key : keys)
        locks.push_back(std::make_unique<FileLock>(key));
    // Another ferry may have finished it while this one waited.
    auto record = read_intent(intent_path_of(own));
    if (!record || !*record) return {};
    Intent intent = std::move(**record);

    // Every repository of the record, opened once.
    std::map<std::string, std::optional<Repository>> opened;
    auto target = [&](const std::string& key) -> const Repository* {
        if (key == self.lock_key()) return &self;
        auto [it, added] = opened.try_emplace(key);
        if (added) {
            if (auto r = Repository::open(commondir_of(key)); r) it->second.emplace(std::move(*r));
        }
        return it->second ? &*it->second : nullptr;
    };
    std::vector<At> at;
    bool any_at_base = false, any_elsewhere = false;
    for (const IntentPart& p : intent.parts) {
        const Repository* r = target(p.lock_key);
        at.push_back(r ? where_is(r->impl_->repo.get(), p) : At::elsewhere);
        if (r) (void)r->finish_own_write();
        any_at_base = any_at_base || at.back() == At::base;
        any_elsewhere = any_elsewhere || at.back() == At::elsewhere;
    }
    std::string problems;
    auto note = [&](const std::string& what) { problems += (problems.empty() ? "" : "; ") + what; };
    // A part another git client built on cannot be taken back: the change
    // can then only be finished. It is taken back when the record says so
    // or when a branch moved on without its commit, and nothing is past.
    const bool any_past = std::ranges::any_of(at, [](At a) { return a == At::past; });
    bool take_back = !any_past && (intent.state == Intent::State::undo || (any_at_base && any_elsewhere));
    bool keep = false;  // for the next write to finish
    if (any_past && any_elsewhere) {
        note(
            "it can be neither finished (a branch moved on without its commit) nor taken back (a commit was "
            "built on); its repositories stay as they are");
    } else if (!take_back && any_at_base) {
        for (std::size_t i = 0; i < intent.parts.size(); ++i) {
            if (at[i] != At::base) continue;
            const Repository* r = target(intent.parts[i].lock_key);
            git_repository* raw = r->impl_->repo.get();
            if (auto moved = r->publish(request_for(raw, intent.parts[i]), intent.parts[i].commit); !moved) {
                note(commondir_of(intent.parts[i].lock_key).string() + ": " + moved.error().message);
                (any_past ? keep : take_back) = true;
                break;
            }
            at[i] = At::commit;
        }
    }
    if (!take_back && !any_past && any_elsewhere) {
        // Some commits are on their branches and another branch moved on
        // without its own: the change is half there, and taken back.
        take_back = std::ranges::any_of(at, [](At a) { return a == At::commit; });
    }
    if (keep) {
        intent.state = Intent::State::commit;
        for (const std::string& key : keys) {
            if (target(key)) (void)write_intent(commondir_of(key), intent);
        }
        return fail("an interrupted change across repositories could not be finished yet (" + problems +
                    "); the next ferry command that writes to one of them tries again");
    }
    if (take_back) {
        // Said in every record before any branch goes back, so that a kill
        // now goes on taking back.
        intent.state = Intent::State::undo;
        for (const std::string& key : keys) {
            if (target(key)) (void)write_intent(commondir_of(key), intent);
        }
        for (std::size_t i = 0; i < intent.parts.size(); ++i) {
            const IntentPart& p = intent.parts[i];
            if (at[i] == At::past) {
                note(commondir_of(p.lock_key).string() + ": " + p.ref.substr(11) + " has commits on top of " +
                     p.commit.substr(0, 12) + " and was left as it is");
            }
            if (at[i] != At::commit) continue;
            const Repository* r = target(p.lock_key);
            if (auto undone = r->undo(request_for(r->impl_->repo.get(), p), p.commit); !undone)
                note(commondir_of(p.lock_key).string() + ": " + undone.error().message);
        }
    }
    for (const std::string& key : keys) {
        if (target(key)) remove_intent(commondir_of(key));
    }
    if (!problems.empty()) return fail("an interrupted change across repositories: " + problems);
    return {};
}

}  // namespace ferry::git
