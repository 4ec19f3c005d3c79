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

void on_checkout_progress(const char* path, std::size_t, std::size_t, void*) {
    if (path) test_write_step();
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

// A linked work tree is a repository object of its own: the trees are
// looked up there.
int checkout_between(git_repository* checkout, const git_oid* from, const git_oid* to) {
    git_tree* to_tree = nullptr;
    git_tree* from_tree = nullptr;
    if (git_tree_lookup(&to_tree, checkout, to) != 0) return -1;
    TreeHandle to_handle(to_tree);
    if (from && git_tree_lookup(&from_tree, checkout, from) != 0) return -1;
    TreeHandle from_handle(from_tree);
    git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
    opts.checkout_strategy = GIT_CHECKOUT_SAFE;
    opts.baseline = from_tree;
    opts.progress_cb = on_checkout_progress;
    int rc = git_checkout_tree(checkout, reinterpret_cast<git_object*>(to_tree), &opts);
    if (rc == 0) test_write_step();
    return rc;
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

// What `tree` holds at `path`: its blob id, or zero when it has nothing there.
git_oid blob_at(git_tree* tree, const char* path) {
    git_oid id{};
    git_tree_entry* e = nullptr;
    if (tree && git_tree_entry_bypath(&e, tree, path) == 0) {
        git_oid_cpy(&id, git_tree_entry_id(e));
        git_tree_entry_free(e);
    }
    return id;
}

// What the work tree holds at `path`: the id its content would have as a
// blob, zero when there is no file, nullopt when it is not a plain file.
std::optional<git_oid> file_at(git_repository* checkout, const char* path) {
    std::filesystem::path full = std::filesystem::path(git_repository_workdir(checkout)) / path;
    std::error_code ec;
    auto status = std::filesystem::symlink_status(full, ec);
    if (status.type() == std::filesystem::file_type::not_found) return git_oid{};
    if (ec || status.type() != std::filesystem::file_type::regular) return std::nullopt;
    git_oid id{};
    if (git_repository_hashfile(&id, checkout, full.c_str(), GIT_OBJECT_BLOB, path) != 0) return std::nullopt;
    return id;
}

// Finishes a checkout from `from` to `to` that was cut short. A plain safe
// checkout would take the files it had already written for someone's
// uncommitted work; instead every file that differs between the two trees
// must hold its content in one or the other (anything else is someone's
// change: nothing is touched), and those files are then forced to `to`,
// index included.
bool finish_checkout(git_repository* checkout, const git_oid* from, const git_oid* to) {
    git_tree* raw_from = nullptr;
    git_tree* raw_to = nullptr;
    if (from && git_tree_lookup(&raw_from, checkout, from) != 0) return false;
    TreeHandle from_tree(raw_from);
    if (git_tree_lookup(&raw_to, checkout, to) != 0) return false;
    TreeHandle to_tree(raw_to);
    git_diff* raw_diff = nullptr;
    if (git_diff_tree_to_tree(&raw_diff, checkout, raw_from, raw_to, nullptr) != 0) return false;
    DiffHandle diff(raw_diff);
    std::vector<std::string> paths;
    for (std::size_t i = 0, n = git_diff_num_deltas(raw_diff); i < n; ++i) {
        const git_diff_delta* d = git_diff_get_delta(raw_diff, i);
        for (const char* path : {d->old_file.path, d->new_file.path}) {
            if (!path || (!paths.empty() && paths.back() == path)) continue;
            auto on_disk = file_at(checkout, path);
            git_oid before = blob_at(raw_from, path), after = blob_at(raw_to, path);
            if (!on_disk || (!git_oid_equal(&*on_disk, &before) && !git_oid_equal(&*on_disk, &after))) return false;
            paths.push_back(path);
        }
    }
    if (paths.empty()) return true;
    std::vector<char*> pointers;
    for (auto& p : paths)
        pointers.push_back(p.data());
    git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
    opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
    opts.baseline = raw_from;
    opts.paths = {pointers.data(), pointers.size()};
    opts.progress_cb = on_checkout_progress;
    return git_checkout_tree(checkout, reinterpret_cast<git_object*>(raw_to), &opts) == 0;
}

}  // namespace

void finish_pending_checkout(git_repository* repo) {
    std::ifstream in(pending_path(repo), std::ios::binary);
    if (!in) return;
    std::string ref, old_hex, new_hex;
    in >> ref >> old_hex >> new_hex;
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
        return;
    }
    const git_tree* from = at_new ? old_tree->get() : new_tree->get();
    const git_tree* to = at_new ? new_tree->get() : old_tree->get();
    Checkouts checkouts = checkouts_of(repo, ref);
    for (git_repository* checkout : checkouts.repos) {
        if (!finish_checkout(checkout, from ? git_tree_id(from) : nullptr, git_tree_id(to))) return;
    }
    clear_pending_checkout(repo);
}

}  // namespace ferry::git
