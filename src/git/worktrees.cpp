#include "worktrees.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace ferry::git {
namespace {

std::unexpected<WriteFailure> fail(WriteFailure::Kind kind, std::string message) {
    return std::unexpected(WriteFailure{kind, std::move(message)});
}

bool has_checked_out(git_repository* repo, const std::string& ref_name) {
    if (git_repository_is_bare(repo)) return false;
    git_reference* head = nullptr;
    if (git_reference_lookup(&head, repo, "HEAD") != 0) return false;
    ReferenceHandle h(head);
    return git_reference_type(head) == GIT_REFERENCE_SYMBOLIC && ref_name == git_reference_symbolic_target(head);
}

std::filesystem::path ferry_dir(git_repository* repo) {
    return std::filesystem::path(git_repository_commondir(repo)) / "ferry";
}

std::filesystem::path pending_path(git_repository* repo) {
    return ferry_dir(repo) / "checkout-pending";
}

}  // namespace

#ifdef FERRY_TEST_HOOKS
void test_write_step() {
    static const long limit = [] {
        const char* value = std::getenv("FERRY_TEST_KILL_AFTER_WRITES");
        return value ? std::atol(value) : 0L;
    }();
    static long steps = 0;
    if (limit > 0 && ++steps == limit) std::raise(SIGKILL);
}
#endif

Checkouts checkouts_of(git_repository* repo, const std::string& ref_name) {
    Checkouts out;
    if (has_checked_out(repo, ref_name)) out.repos.push_back(repo);
    git_strarray names{};
    if (git_worktree_list(&names, repo) != 0) return out;
    for (std::size_t i = 0; i < names.count; ++i) {
        git_worktree* wt = nullptr;
        if (git_worktree_lookup(&wt, repo, names.strings[i]) != 0) continue;
        git_repository* opened = nullptr;
        if (git_worktree_validate(wt) == 0 && git_repository_open_from_worktree(&opened, wt) == 0) {
            RepoHandle handle(opened);
            if (has_checked_out(opened, ref_name)) {
                out.repos.push_back(opened);
                out.owned.push_back(std::move(handle));
            }
        }
        git_worktree_free(wt);
    }
    git_strarray_dispose(&names);
    return out;
}

std::expected<void, WriteFailure> require_clean(git_repository* repo, const std::vector<FileChange>& changes) {
    git_status_options opts = GIT_STATUS_OPTIONS_INIT;
    opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    opts.flags =
        GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
    git_status_list* raw = nullptr;
    if (git_status_list_new(&raw, repo, &opts) != 0) {
        return fail(WriteFailure::Kind::other, last_error("cannot read the work tree's status"));
    }
    StatusListHandle list(raw);
    std::set<std::string> written;
    for (const auto& c : changes)
        written.insert(c.path);
    for (std::size_t i = 0, n = git_status_list_entrycount(raw); i < n; ++i) {
        const git_status_entry* e = git_status_byindex(raw, i);
        const git_diff_delta* delta = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
        std::string path = delta && delta->new_file.path ? delta->new_file.path : "";
        if (e->status == GIT_STATUS_CURRENT || e->status == GIT_STATUS_IGNORED) continue;
        // An untracked file is in the way only where the commit writes: at
        // a written path, or under one (a folder named like the file).
        auto in_the_way = [&](const std::string& untracked) {
            return std::ranges::any_of(written, [&](const std::string& w) {
                return untracked == w || untracked.starts_with(w + "/") || w.starts_with(untracked + "/");
            });
        };
        if (e->status == GIT_STATUS_WT_NEW && !in_the_way(path)) continue;
        return fail(WriteFailure::Kind::worktree_dirty,
                    "the branch is checked out in " + std::string(git_repository_workdir(repo)) +
                        " with uncommitted changes (" + path + "); commit or stash them first");
    }
    return {};
}

std::expected<void, WriteFailure> record_pending_checkout(git_repository* repo, const PendingCheckout& pending) {
    // Written aside and renamed into place: a record is whole or absent.
    std::filesystem::path path = pending_path(repo);
    std::filesystem::path aside = path.string() + ".new";
    {
        std::ofstream out(aside, std::ios::binary | std::ios::trunc);
        out << pending.ref << ' ' << hex(&pending.old_commit) << ' ' << hex(&pending.new_commit) << '\n';
        if (!out.flush()) return fail(WriteFailure::Kind::other, "cannot write " + aside.string());
    }
    std::error_code ec;
    std::filesystem::rename(aside, path, ec);
    if (ec) return fail(WriteFailure::Kind::other, "cannot write " + path.string() + ": " + ec.message());
    test_write_step();
    return {};
}

void clear_pending_checkout(git_repository* repo) {
    std::error_code ec;
    if (std::filesystem::remove(pending_path(repo), ec)) test_write_step();
}

bool has_pending_checkout(git_repository* repo) {
    std::error_code ec;
    return std::filesystem::exists(pending_path(repo), ec);
}

namespace {

// The tree of a commit, or nullptr for the zero id (no commit).
std::expected<TreeHandle, int> tree_of(git_repository* repo, const git_oid& commit) {
    if (git_oid_is_zero(&commit)) return TreeHandle();
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, repo, &commit) != 0) return std::unexpected(-1);
    CommitHandle handle(c);
    git_tree* t = nullptr;
    if (git_commit_tree(&t, c) != 0) return std::unexpected(-1);
    return TreeHandle(t);
}

}  // namespace

std::expected<void, WriteFailure> finish_pending_checkout(git_repository* repo) {
    std::ifstream in(pending_path(repo), std::ios::binary);
    if (!in) return {};
    std::string ref, old_hex, new_hex;
    in >> ref >> old_hex >> new_hex;
    // The ref's own lock file, left by a kill inside its update: ours when
    // it holds one of the record's two commits (the value being written),
    // or the start of one (the kill cut the write short).
    if (git_reference_is_valid_name(ref.c_str())) {
        const std::filesystem::path ref_lock = std::filesystem::path(git_repository_commondir(repo)) / (ref + ".lock");
        if (std::ifstream lock_in(ref_lock, std::ios::binary); lock_in) {
            std::string held;
            std::getline(lock_in, held);
            if (old_hex.starts_with(held) || new_hex.starts_with(held)) {
                lock_in.close();
                std::error_code ec;
                std::filesystem::remove(ref_lock, ec);
            }
        }
    }
    PendingCheckout p{};
    git_oid current{};
    bool readable = git_reference_is_valid_name(ref.c_str()) && git_oid_fromstr(&p.old_commit, old_hex.c_str()) == 0 &&
                    git_oid_fromstr(&p.new_commit, new_hex.c_str()) == 0 &&
                    git_reference_name_to_id(&current, repo, ref.c_str()) == 0;
    bool at_new = readable && git_oid_equal(&current, &p.new_commit);
    bool at_old = readable && !git_oid_is_zero(&p.old_commit) && git_oid_equal(&current, &p.old_commit);
    auto old_tree = tree_of(repo, p.old_commit);
    auto new_tree = tree_of(repo, p.new_commit);
    if ((!at_new && !at_old) || !old_tree || !new_tree || !*new_tree) {
        clear_pending_checkout(repo);
        return {};
    }
    const git_tree* from = at_new ? old_tree->get() : new_tree->get();
    const git_tree* to = at_new ? new_tree->get() : old_tree->get();
    // Exactly the paths that differ between the two commits are brought to
    // the branch's, whatever state a kill left them in.
    Checkouts checkouts = checkouts_of(repo, ref);
    for (git_repository* checkout : checkouts.repos) {
        auto lock = IndexLock::take(checkout);
        if (!lock) return std::unexpected(lock.error());  // a git process holds the index
        auto done = update_worktree(checkout, from ? git_tree_id(from) : nullptr, git_tree_id(to), *lock);
        if (!done) return done;
    }
    clear_pending_checkout(repo);
    return {};
}

std::vector<std::string> Repository::uncommitted(const std::string& branch, const std::string& commit,
                                                 const std::string& folder) const {
    git_repository* repo = impl_->repo.get();
    std::vector<std::string> out;
    if (git_repository_is_bare(repo) || !has_checked_out(repo, "refs/heads/" + branch)) return out;
    git_oid head{};
    if (git_reference_name_to_id(&head, repo, "HEAD") != 0 || hex(&head) != commit) return out;
    git_status_options opts = GIT_STATUS_OPTIONS_INIT;
    opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    opts.flags =
        GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
    std::string spec = folder.empty() ? "" : folder + "/";
    char* specs[] = {spec.data()};
    if (!folder.empty()) opts.pathspec = {specs, 1};
    git_status_list* raw = nullptr;
    if (git_status_list_new(&raw, repo, &opts) != 0) return out;
    StatusListHandle list(raw);
    for (std::size_t i = 0, n = git_status_list_entrycount(raw); i < n; ++i) {
        const git_status_entry* e = git_status_byindex(raw, i);
        if (e->status == GIT_STATUS_CURRENT || e->status == GIT_STATUS_IGNORED) continue;
        const git_diff_delta* d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
        if (d && d->new_file.path) out.emplace_back(d->new_file.path);
    }
    return out;
}

}  // namespace ferry::git
