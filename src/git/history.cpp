// The commits that changed a few paths: a walk from a commit, comparing the
// blob at each path with the first parent's (what `git log -- PATH` shows).
#include "handles.hpp"

namespace ferry::git {
namespace {

using RevwalkHandle = std::unique_ptr<git_revwalk, Deleter<git_revwalk, git_revwalk_free>>;

// The object id at `path` in `tree`, or the zero id when absent.
git_oid id_at(git_tree* tree, const std::string& path) {
    git_oid zero{};
    if (!tree) return zero;
    git_tree_entry* e = nullptr;
    if (git_tree_entry_bypath(&e, tree, path.c_str()) != 0) return zero;
    git_oid id = *git_tree_entry_id(e);
    git_tree_entry_free(e);
    return id;
}

}  // namespace

std::expected<std::vector<CommitInfo>, std::string> Repository::history(const std::string& commit,
                                                                        const std::vector<std::string>& paths) const {
    git_repository* repo = impl_->repo.get();
    git_oid start;
    if (git_oid_fromstr(&start, commit.c_str()) != 0) return std::unexpected("bad commit id " + commit);
    git_revwalk* raw = nullptr;
    if (git_revwalk_new(&raw, repo) != 0) return std::unexpected(last_error("cannot walk the history"));
    RevwalkHandle walk(raw);
    git_revwalk_sorting(raw, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    if (git_revwalk_push(raw, &start) != 0) return std::unexpected(last_error("cannot walk from " + commit));

    std::vector<CommitInfo> out;
    git_oid id;
    while (git_revwalk_next(&id, raw) == 0) {
        git_commit* c = nullptr;
        if (git_commit_lookup(&c, repo, &id) != 0) return std::unexpected(last_error("cannot read a commit"));
        CommitHandle current(c);
        git_tree* t = nullptr;
        if (git_commit_tree(&t, c) != 0) return std::unexpected(last_error("cannot read a tree"));
        TreeHandle tree(t);
        TreeHandle parent_tree;
        if (git_commit_parentcount(c) > 0) {
            git_commit* p = nullptr;
            if (git_commit_parent(&p, c, 0) != 0) return std::unexpected(last_error("cannot read a parent"));
            CommitHandle parent(p);
            git_tree* pt = nullptr;
            if (git_commit_tree(&pt, p) != 0) return std::unexpected(last_error("cannot read a tree"));
            parent_tree.reset(pt);
        }
        bool changed = false;
        for (const std::string& path : paths) {
            git_oid now = id_at(tree.get(), path);
            git_oid before = id_at(parent_tree.get(), path);
            if (!git_oid_equal(&now, &before)) {
                changed = true;
                break;
            }
        }
        if (!changed) continue;
        const git_signature* author = git_commit_author(c);
        const git_oid* parent = git_commit_parentcount(c) > 0 ? git_commit_parent_id(c, 0) : nullptr;
        out.push_back({hex(&id), static_cast<std::int64_t>(git_commit_committer(c)->when.time),
                       author->name ? author->name : "", author->email ? author->email : "",
                       git_commit_message(c) ? git_commit_message(c) : "", parent ? hex(parent) : ""});
    }
    return out;
}

std::expected<std::optional<std::string>, std::string> Repository::file_at(const std::string& commit,
                                                                           const std::string& path,
                                                                           std::uint64_t max_size) const {
    git_repository* repo = impl_->repo.get();
    git_oid id;
    if (git_oid_fromstr(&id, commit.c_str()) != 0) return std::unexpected("bad commit id " + commit);
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, repo, &id) != 0) return std::unexpected(last_error("cannot read " + commit));
    CommitHandle current(c);
    git_tree* t = nullptr;
    if (git_commit_tree(&t, c) != 0) return std::unexpected(last_error("cannot read a tree"));
    TreeHandle tree(t);
    git_oid at = id_at(tree.get(), path);
    if (git_oid_is_zero(&at)) return std::nullopt;
    git_blob* b = nullptr;
    if (git_blob_lookup(&b, repo, &at) != 0) return std::unexpected(path + " is not a file at " + commit.substr(0, 12));
    std::unique_ptr<git_blob, Deleter<git_blob, git_blob_free>> blob(b);
    auto size = static_cast<std::uint64_t>(git_blob_rawsize(b));
    if (size > max_size) {
        return std::unexpected(path + " is " + std::to_string(size) + " bytes at " + commit.substr(0, 12) +
                               "; the limit is " + std::to_string(max_size));
    }
    return std::string(static_cast<const char*>(git_blob_rawcontent(b)), size);
}

std::expected<bool, std::string> Repository::reaches(const std::string& tip, const std::string& commit) const {
    git_oid t{}, c{};
    if (git_oid_fromstr(&t, tip.c_str()) != 0 || git_oid_fromstr(&c, commit.c_str()) != 0)
        return std::unexpected("bad commit id");
    if (git_oid_equal(&t, &c)) return true;
    int rc = git_graph_descendant_of(impl_->repo.get(), &t, &c);
    if (rc < 0) return std::unexpected(last_error("cannot walk the history of " + tip.substr(0, 12)));
    return rc == 1;
}

}  // namespace ferry::git
