// The write path shared by every command that changes a repository: a new
// tree from the base commit's tree plus the changed files (no checkout), one
// commit, and a compare-and-swap of the branch. Objects are written before
// the branch moves, so a failure at any point leaves the branch where it was.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include "handles.hpp"
#include "transfer.hpp"
#include "worktrees.hpp"

namespace ferry::git {
namespace {

std::unexpected<WriteFailure> fail(WriteFailure::Kind kind, std::string message) {
    return std::unexpected(WriteFailure{kind, std::move(message)});
}
std::unexpected<WriteFailure> fail_git(std::string_view what) {
    return fail(WriteFailure::Kind::other, last_error(what));
}

// SPEC 4.2: times come from SOURCE_DATE_EPOCH when it is set.
std::expected<SignatureHandle, WriteFailure> signature(const Identity& who) {
    git_signature* raw = nullptr;
    int rc;
    const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
    if (epoch && *epoch) {
        char* end = nullptr;
        long long seconds = std::strtoll(epoch, &end, 10);
        if (*end != '\0') return fail(WriteFailure::Kind::other, "SOURCE_DATE_EPOCH is not a number of seconds");
        rc = git_signature_new(&raw, who.name.c_str(), who.email.c_str(), static_cast<git_time_t>(seconds), 0);
    } else {
        rc = git_signature_now(&raw, who.name.c_str(), who.email.c_str());
    }
    if (rc != 0) return fail_git("invalid identity '" + who.name + " <" + who.email + ">'");
    return SignatureHandle(raw);
}

bool path_exists(git_tree* tree, const std::string& path) {
    if (!tree) return false;
    git_tree_entry* e = nullptr;
    if (git_tree_entry_bypath(&e, tree, path.c_str()) != 0) return false;
    git_tree_entry_free(e);
    return true;
}

// A branch that moved is reported as such before anything else: the caller
// plans again rather than mistaking another writer's work in progress for
// uncommitted changes.
std::expected<void, WriteFailure> still_at_base(git_repository* repo, const CommitRequest& request) {
    if (!request.new_branch.empty()) return {};
    git_oid current{}, base{};
    int rc = git_reference_name_to_id(&current, repo, ("refs/heads/" + request.branch).c_str());
    bool unborn = rc == GIT_ENOTFOUND;
    if (rc != 0 && !unborn) return fail_git("cannot read branch '" + request.branch + "'");
    bool same = unborn ? request.base_commit.empty()
                       : git_oid_fromstr(&base, request.base_commit.c_str()) == 0 && git_oid_equal(&current, &base);
    if (!same) return fail(WriteFailure::Kind::moved, "branch '" + request.branch + "' moved while ferry was writing");
    return {};
}

// A path git itself would refuse to check out, or that `git fsck --strict`
// rejects: a `.git` anywhere (any case), or a folder named as one of the
// files git reads from a tree (`.gitmodules`, `.gitattributes`, ...).
bool unsafe_for_git(std::string_view path) {
    auto lower = [](std::string_view s) {
        std::string out(s);
        for (char& c : out)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    };
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = path.find('/', start);
        const std::string part = lower(path.substr(start, slash == std::string_view::npos ? path.npos : slash - start));
        const bool folder = slash != std::string_view::npos;
        if (part.empty() || part == "." || part == ".." || part == ".git" || part == "git~1") return true;
        if (folder && (part == ".gitmodules" || part == ".gitattributes" || part == ".gitignore" ||
                       part == ".mailmap" || part == "gitmod~1"))
            return true;
        if (!folder) return false;
        start = slash + 1;
    }
}

// With `memory` (a mempack backend of repo's database), blobs go straight
// into it: no look for the same object on disk first, which misses for
// every new blob and makes libgit2 list the pack folder again each time.
std::expected<TreeHandle, WriteFailure> build_tree(git_repository* repo, git_tree* base,
                                                   const std::vector<FileChange>& changes,
                                                   git_odb_backend* memory = nullptr) {
    for (const FileChange& c : changes) {
        if (unsafe_for_git(c.path)) {
            return fail(WriteFailure::Kind::other,
                        "'" + c.path + "' is not a path git keeps in a tree (a .git, or a folder named .git...)");
        }
    }
    TreeHandle empty;
    if (!base) {
        git_treebuilder* builder = nullptr;
        git_oid oid;
        if (git_treebuilder_new(&builder, repo, nullptr) != 0) return fail_git("cannot build a tree");
        int rc = git_treebuilder_write(&oid, builder);
        git_treebuilder_free(builder);
        git_tree* t = nullptr;
        if (rc != 0 || git_tree_lookup(&t, repo, &oid) != 0) return fail_git("cannot build a tree");
        empty.reset(t);
        base = t;
    }
    std::vector<git_tree_update> updates;
    updates.reserve(changes.size());
    for (const FileChange& c : changes) {
        git_tree_update u{};
        u.path = c.path.c_str();
        if (c.content) {
            const int rc =
                memory ? (git_odb_hash(&u.id, c.content->data(), c.content->size(), GIT_OBJECT_BLOB) == 0
                              ? memory->write(memory, &u.id, c.content->data(), c.content->size(), GIT_OBJECT_BLOB)
                              : -1)
                       : git_blob_create_from_buffer(&u.id, repo, c.content->data(), c.content->size());
            if (rc != 0) return fail_git("cannot write " + c.path);
            test_write_step();
            u.action = GIT_TREE_UPDATE_UPSERT;
            u.filemode = GIT_FILEMODE_BLOB;
        } else {
            if (!path_exists(base, c.path)) continue;
            u.action = GIT_TREE_UPDATE_REMOVE;
        }
        updates.push_back(u);
    }
    git_oid tree_id;
    if (git_tree_create_updated(&tree_id, repo, base, updates.size(), updates.data()) != 0) {
        return fail_git("cannot build the new tree");
    }
    test_write_step();
    git_tree* t = nullptr;
    if (git_tree_lookup(&t, repo, &tree_id) != 0) return fail_git("cannot read the new tree");
    return TreeHandle(t);
}

Identity committer_of(git_repository* repo) {
    git_config* raw = nullptr;
    Identity fixed{"ferry", "ferry@localhost"};
    if (git_repository_config_snapshot(&raw, repo) != 0) return fixed;
    ConfigHandle config(raw);
    const char* name = nullptr;
    const char* email = nullptr;
    if (git_config_get_string(&name, raw, "user.name") != 0 || git_config_get_string(&email, raw, "user.email") != 0) {
        return fixed;
    }
    return {name, email};
}

// Takes back `commit` written with `request`; the caller holds the WriteLock.
std::expected<void, WriteFailure> undo_locked(git_repository* repo, const CommitRequest& request,
                                              const std::string& commit);

// Pushes `ref` through `remote` (`shown` names it in messages; `url`'s
// password is never shown).
std::expected<void, WriteFailure> push_ref(git_remote* remote, const std::string& ref, const std::string& shown,
                                           const std::string& url = {}) {
    Transfer transfer{shown, {}};
    git_push_options opts = GIT_PUSH_OPTIONS_INIT;
    opts.callbacks = callbacks(transfer);
    std::string spec = ref + ":" + ref;
    char* specs[] = {spec.data()};
    git_strarray refspecs{specs, 1};
    if (git_remote_push(remote, &refspecs, &opts) != 0) {
        std::string message = last_error_for("push to " + shown + " failed", url);
        // libgit2 words a refused update in several ways, by transport.
        bool rejected = message.find("fast") != std::string::npos || message.find("reject") != std::string::npos ||
                        message.find("not present locally") != std::string::npos;
        return fail(rejected ? WriteFailure::Kind::push_rejected : WriteFailure::Kind::other, message);
    }
    if (!transfer.rejected.empty()) {
        return fail(WriteFailure::Kind::push_rejected, shown + " rejected " + transfer.rejected);
    }
    return {};
}

// A clone of a URL is written through to the remote: the commit just made
// is pushed, or taken back. A branch the remote moved meanwhile is fetched
// and reported as `moved`, so that the caller plans again on its new tip.
std::expected<void, WriteFailure> write_through(git_repository* repo, const std::string& url, const Progress& progress,
                                                const CommitRequest& request, const std::string& commit) {
    const std::string branch = request.new_branch.empty() ? request.branch : request.new_branch;
    std::string shown = shown_url(url);
    git_remote* raw = nullptr;
    if (git_remote_create_anonymous(&raw, repo, url.c_str()) != 0) return fail_git("cannot push to " + shown);
    RemoteHandle remote(raw);
    auto pushed = push_ref(remote.get(), "refs/heads/" + branch, shown, url);
    if (pushed) return {};
    if (auto undone = undo_locked(repo, request, commit); !undone) return undone;
    if (pushed.error().kind != WriteFailure::Kind::push_rejected || !request.new_branch.empty()) return pushed;
    if (!fetch(repo, url, progress, kMirrored, true)) return pushed;
    git_oid tip{};
    if (git_reference_name_to_id(&tip, repo, ("refs/heads/" + branch).c_str()) == 0 &&
        hex(&tip) != request.base_commit) {
        return fail(WriteFailure::Kind::moved,
                    "branch '" + branch + "' of " + shown + " moved while ferry was writing");
    }
    return pushed;
}

}  // namespace

bool is_valid_branch_name(const std::string& name) {
    int valid = 0;
    return name != "@" && git_branch_name_is_valid(&valid, name.c_str()) == 0 && valid;
}

std::optional<std::string> Repository::config(const char* key) const {
    git_config* raw = nullptr;
    if (git_repository_config_snapshot(&raw, impl_->repo.get()) != 0) return std::nullopt;
    ConfigHandle config(raw);
    const char* value = nullptr;
    if (git_config_get_string(&value, raw, key) != 0 || !value || !*value) return std::nullopt;
    return std::string(value);
}

namespace {

std::string target_ref(const CommitRequest& request) {
    return "refs/heads/" + (request.new_branch.empty() ? request.branch : request.new_branch);
}

// The commit `id` and its tree; a null commit for an empty id.
struct CommitAndTree {
    git_oid oid{};
    CommitHandle commit;
    TreeHandle tree;
};
std::expected<CommitAndTree, WriteFailure> read_commit(git_repository* repo, const std::string& id) {
    CommitAndTree out;
    if (id.empty()) return out;
    git_commit* c = nullptr;
    if (git_oid_fromstr(&out.oid, id.c_str()) != 0 || git_commit_lookup(&c, repo, &out.oid) != 0) {
        return fail_git("cannot read commit " + id);
    }
    out.commit.reset(c);
    git_tree* t = nullptr;
    if (git_commit_tree(&t, c) != 0) return fail_git("cannot read the tree of " + id);
    out.tree.reset(t);
    return out;
}

}  // namespace

namespace {

// The blobs, the trees and the commit of `request`, written into `repo`'s
// object database.
std::expected<std::optional<std::string>, WriteFailure> make_commit(git_repository* repo, const CommitRequest& request,
                                                                    git_odb_backend* memory = nullptr) {
    auto base = read_commit(repo, request.base_commit);
    if (!base) return std::unexpected(base.error());
    auto tree = build_tree(repo, base->tree.get(), request.changes, memory);
    if (!tree) return std::unexpected(tree.error());
    if (base->tree && git_oid_equal(git_tree_id(tree->get()), git_tree_id(base->tree.get()))) return std::nullopt;

    auto author = signature(request.author);
    if (!author) return std::unexpected(author.error());
    auto committer = signature(committer_of(repo));
    if (!committer) return std::unexpected(committer.error());
    const git_commit* parents[] = {base->commit.get()};
    git_oid commit_oid;
    if (git_commit_create(&commit_oid, repo, nullptr, author->get(), committer->get(), "UTF-8", request.message.c_str(),
                          tree->get(), base->commit ? 1 : 0, parents) != 0) {
        return fail_git("cannot write the commit");
    }
    test_write_step();
    return hex(&commit_oid);
}

// As git's own transfer.unpackLimit: a write of fewer files leaves loose
// objects, a larger one a single pack.
constexpr std::size_t kPackFrom = 100;

// A large write's objects made in memory (libgit2's mempack, on a second
// handle of the repository so that this one's database is left as it is),
// then written as one pack through the repository's own database: two
// files and an index instead of one file per object. A kill before the
// pack is whole leaves only a temporary file, which nothing refers to.
std::expected<std::optional<std::string>, WriteFailure> make_commit_in_a_pack(git_repository* repo,
                                                                              const CommitRequest& request) {
    git_repository* raw = nullptr;
    if (git_repository_open(&raw, git_repository_path(repo)) != 0) return fail_git("cannot open the repository");
    RepoHandle writer(raw);
    git_odb* odb = nullptr;
    git_odb_backend* memory = nullptr;
    if (git_repository_odb(&odb, writer.get()) != 0) return fail_git("cannot open the object database");
    std::unique_ptr<git_odb, decltype(&git_odb_free)> odb_handle(odb, git_odb_free);
    // Owned by the database once added; looked in first.
    if (git_mempack_new(&memory) != 0 || git_odb_add_backend(odb, memory, 1000) != 0)
        return fail_git("cannot write objects in memory");
    auto made = make_commit(writer.get(), request, memory);
    if (!made || !*made) return made;
    BufHandle pack;
    if (git_mempack_dump(&pack.buf, writer.get(), memory) != 0) return fail_git("cannot pack the new objects");
    git_odb* target = nullptr;
    if (git_repository_odb(&target, repo) != 0) return fail_git("cannot open the object database");
    std::unique_ptr<git_odb, decltype(&git_odb_free)> target_handle(target, git_odb_free);
    git_odb_writepack* out = nullptr;
    if (git_odb_write_pack(&out, target, nullptr, nullptr) != 0) return fail_git("cannot write a pack");
    git_indexer_progress progress{};
    const int rc = out->append(out, pack.buf.ptr, pack.buf.size, &progress) == 0 ? out->commit(out, &progress) : -1;
    out->free(out);
    if (rc != 0) return fail_git("cannot write a pack");
    test_write_step();
    return made;
}

}  // namespace

std::expected<std::optional<std::string>, WriteFailure> Repository::prepare(const CommitRequest& request) const {
    git_repository* repo = impl_->repo.get();
    const std::string target = target_ref(request);
    if (!git_reference_is_valid_name(target.c_str()) ||
        (!request.new_branch.empty() && !is_valid_branch_name(request.new_branch))) {
        return fail(WriteFailure::Kind::other, "'" + target.substr(11) + "' is not a valid branch name");
    }
    return request.changes.size() >= kPackFrom ? make_commit_in_a_pack(repo, request) : make_commit(repo, request);
}

std::expected<void, WriteFailure> Repository::publish(const CommitRequest& request, const std::string& commit) const {
    git_repository* repo = impl_->repo.get();
    const std::string target = target_ref(request);
    auto base = read_commit(repo, request.base_commit);
    if (!base) return std::unexpected(base.error());
    auto made = read_commit(repo, commit);
    if (!made) return std::unexpected(made.error());
    const git_oid base_oid = base->oid;
    const git_oid commit_oid = made->oid;

    WriteLock lock(repo);
    if (auto finished = finish_pending_checkout(repo); !finished) return std::unexpected(finished.error());
    if (auto still = still_at_base(repo, request); !still) return std::unexpected(still.error());
    Checkouts checkouts = request.new_branch.empty() ? checkouts_of(repo, target) : Checkouts{};
    // As git does: its index.lock on every work tree first, held until the
    // index and files are written, so that no git commit meanwhile builds
    // on the old index; then the work trees checked under it.
    std::vector<IndexLock> index_locks;
    for (git_repository* checkout : checkouts.repos) {
        auto taken = IndexLock::take(checkout);
        if (!taken) return std::unexpected(taken.error());
        index_locks.push_back(std::move(*taken));
    }
    for (git_repository* checkout : checkouts.repos) {
        if (auto clean = require_clean(checkout, request.changes); !clean) return std::unexpected(clean.error());
    }

    // Recorded even with no work tree to update: a kill inside the ref's
    // update leaves its lock file, which the record lets the next write
    // tell from another git's (git/worktrees.hpp).
    if (auto recorded = record_pending_checkout(repo, {target, base_oid, commit_oid}); !recorded)
        return std::unexpected(recorded.error());

    // As git does: the work trees and their index first, then the branch,
    // all under index.lock. A git command that read the index meanwhile
    // (reading takes no lock) pairs the old index with the old branch, or
    // the new index with the old branch (its commit then fails: the branch
    // moved under it), never the new branch with the old index, which would
    // commit a revert of this write.
    const git_oid* from = base->tree ? git_tree_id(base->tree.get()) : nullptr;
    const git_oid* to = git_tree_id(made->tree.get());
    // Brings the first `count` work trees back to the base (the last one
    // may be half-written): true when all are.
    auto put_back = [&](std::size_t count) {
        bool restored = true;
        for (std::size_t j = 0; j < count; ++j)
            restored = update_worktree(checkouts.repos[j], to, from, index_locks[j]).has_value() && restored;
        return restored;
    };
    for (std::size_t i = 0; i < checkouts.repos.size(); ++i) {
        auto updated = update_worktree(checkouts.repos[i], from, to, index_locks[i]);
        if (updated) continue;
        // A file could not be written (a full disk, a folder in the way):
        // the work trees written so far go back, this one included, so
        // that what is said is true.
        const std::string where = std::string("the work tree ") + git_repository_workdir(checkouts.repos[i]) +
                                  " could not be updated (" + updated.error().message + ")";
        if (put_back(i + 1)) {
            clear_pending_checkout(repo);
            return fail(WriteFailure::Kind::worktree_dirty, where + "; nothing was written");
        }
        // The record stays: the next ferry command brings every work tree
        // back to where the branch points, which did not move.
        return fail(WriteFailure::Kind::worktree_dirty,
                    where + "; the branch did not move, and the next ferry command restores the work tree");
    }

    // The compare-and-swap: libgit2 locks the ref and checks its value.
    std::string log = "ferry: " + request.message.substr(0, request.message.find('\n'));
    git_reference* moved = nullptr;
    int rc;
    if (!request.new_branch.empty() || request.base_commit.empty()) {
        rc = git_reference_create(&moved, repo, target.c_str(), &commit_oid, 0, log.c_str());
    } else {
        rc = git_reference_create_matching(&moved, repo, target.c_str(), &commit_oid, 1, &base_oid, log.c_str());
    }
    ReferenceHandle moved_handle(moved);
    if (rc != 0) {
        // The branch did not move: its work trees go back to it.
        const bool restored = put_back(checkouts.repos.size());
        if (restored) clear_pending_checkout(repo);
        const std::string after = restored ? "" : "; the next ferry command restores the work tree";
        if (rc == GIT_EEXISTS && !request.new_branch.empty()) {
            return fail(WriteFailure::Kind::other, "branch '" + request.new_branch + "' already exists" + after);
        }
        if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
            return fail(WriteFailure::Kind::moved,
                        "branch '" + request.branch + "' moved while ferry was writing" + after);
        }
        if (rc == GIT_ELOCKED) {
            return fail(WriteFailure::Kind::other, "branch '" + target.substr(11) +
                                                       "' is locked by another git process (" + target +
                                                       ".lock exists)" + after);
        }
        return fail_git("cannot move branch '" + target.substr(11) + "'");
    }
    test_write_step();
    clear_pending_checkout(repo);
    if (remote()) return write_through(repo, impl_->url, impl_->progress, request, commit);
    return {};
}

std::expected<void, WriteFailure> Repository::preflight(const CommitRequest& request) const {
    git_repository* repo = impl_->repo.get();
    WriteLock lock(repo);
    // Held by this transaction now: a record here was left by a killed
    // writer after this command began (it finished those it found then).
    if (auto clear = no_interrupted_intent(repo); !clear) return clear;
    if (!request.new_branch.empty()) return {};
    if (auto finished = finish_pending_checkout(repo); !finished) return finished;
    if (auto still = still_at_base(repo, request); !still) return still;
    Checkouts checkouts = checkouts_of(repo, "refs/heads/" + request.branch);
    for (git_repository* checkout : checkouts.repos) {
        if (auto clean = require_clean(checkout, request.changes); !clean) return clean;
    }
    return {};
}

namespace {

std::expected<void, WriteFailure> undo_locked(git_repository* repo, const CommitRequest& request,
                                              const std::string& commit) {
    const std::string target = "refs/heads/" + (request.new_branch.empty() ? request.branch : request.new_branch);
    git_oid written;
    if (git_oid_fromstr(&written, commit.c_str()) != 0)
        return fail(WriteFailure::Kind::other, "bad commit id " + commit);
    git_reference* raw = nullptr;
    if (git_reference_lookup(&raw, repo, target.c_str()) != 0) return fail_git("cannot read " + target);
    ReferenceHandle ref(raw);
    const git_oid* now = git_reference_target(raw);
    if (!now || !git_oid_equal(now, &written)) {
        return fail(WriteFailure::Kind::moved, "branch '" + target.substr(11) + "' moved on; it was left as it is");
    }
    Checkouts checkouts = request.new_branch.empty() ? checkouts_of(repo, target) : Checkouts{};
    if (!request.new_branch.empty() || request.base_commit.empty()) {
        if (git_reference_delete(raw) != 0) return fail_git("cannot remove " + target);
        return {};
    }
    git_oid base;
    git_oid_fromstr(&base, request.base_commit.c_str());
    std::vector<IndexLock> index_locks;
    for (git_repository* checkout : checkouts.repos) {
        auto taken = IndexLock::take(checkout);
        if (!taken) return std::unexpected(taken.error());
        index_locks.push_back(std::move(*taken));
    }
    if (auto recorded = record_pending_checkout(repo, {target, base, written}); !recorded) return recorded;
    auto old_commit = read_commit(repo, request.base_commit);
    auto new_commit = read_commit(repo, commit);
    if (!old_commit || !new_commit) return fail_git("cannot read the commits to restore the work tree");
    const git_oid* old_tree = git_tree_id(old_commit->tree.get());
    const git_oid* new_tree = git_tree_id(new_commit->tree.get());
    // As a write: work trees first, then the branch (see publish()).
    for (std::size_t i = 0; i < checkouts.repos.size(); ++i) {
        if (auto restored = update_worktree(checkouts.repos[i], new_tree, old_tree, index_locks[i]); !restored) {
            return fail(WriteFailure::Kind::other, "the work tree " +
                                                       std::string(git_repository_workdir(checkouts.repos[i])) +
                                                       " could not be restored (" + restored.error().message +
                                                       "); the next ferry command finishes it");
        }
    }
    git_reference* moved = nullptr;
    if (git_reference_create_matching(&moved, repo, target.c_str(), &base, 1, &written, "ferry: undo a failed write") !=
        0) {
        // The branch stays at the commit: so do its work trees.
        bool back = true;
        for (std::size_t i = 0; i < checkouts.repos.size(); ++i)
            back = update_worktree(checkouts.repos[i], old_tree, new_tree, index_locks[i]).has_value() && back;
        if (back) clear_pending_checkout(repo);
        return fail_git("cannot move " + target + " back");
    }
    git_reference_free(moved);
    test_write_step();
    clear_pending_checkout(repo);
    return {};
}

}  // namespace

std::expected<void, WriteFailure> Repository::undo(const CommitRequest& request, const std::string& commit) const {
    if (remote()) {
        return fail(WriteFailure::Kind::other, "the commit " + commit.substr(0, 12) + " was pushed to " +
                                                   shown_url(impl_->url) + " already; it was left as it is");
    }
    WriteLock lock(impl_->repo.get());
    return undo_locked(impl_->repo.get(), request, commit);
}

std::expected<void, WriteFailure> Repository::finish_interrupted_write() const {
    if (auto finished = finish_intent(); !finished) return finished;
    return finish_own_write();
}

std::expected<void, WriteFailure> Repository::finish_own_write() const {
    git_repository* repo = impl_->repo.get();
    if (!has_pending_checkout(repo) && stale_index_locks(repo).empty()) return {};
    WriteLock lock(repo);
    if (auto finished = finish_pending_checkout(repo); !finished) return finished;
    // A ferry killed before it moved the branch (or after it recorded how to
    // finish) can leave git's index.lock behind; git refuses to run until
    // it is gone.
    for (const auto& stale : stale_index_locks(repo)) {
        std::error_code ec;
        std::filesystem::remove(stale, ec);
    }
    return {};
}

std::expected<void, WriteFailure> Repository::push(const std::string& branch) const {
    git_repository* repo = impl_->repo.get();
    const std::string ref = "refs/heads/" + branch;
    git_remote* raw = nullptr;
    if (remote()) {
        if (git_remote_create_anonymous(&raw, repo, impl_->url.c_str()) != 0)
            return fail_git("cannot push to " + shown_url(impl_->url));
        RemoteHandle handle(raw);
        return push_ref(handle.get(), ref, shown_url(impl_->url), impl_->url);
    }
    std::string remote_name = "origin";
    BufHandle upstream;
    if (git_branch_upstream_remote(&upstream.buf, repo, ref.c_str()) == 0 && upstream.buf.ptr) {
        remote_name = upstream.buf.ptr;
    }
    if (git_remote_lookup(&raw, repo, remote_name.c_str()) != 0) {
        return fail_git("cannot push: no remote '" + remote_name + "'");
    }
    RemoteHandle handle(raw);
    return push_ref(handle.get(), ref, remote_name);
}

namespace {

// The files this thread holds, with how many FileLocks hold each.
struct Held {
    int fd = -1;
    int depth = 0;
};
thread_local std::map<std::string, Held> held_by_thread;

// What a lock file is known by: its canonical path (its folder is made
// first, so that the same file always gets the same name).
std::string canonical_lock_path(const std::filesystem::path& file) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    std::filesystem::path canonical = std::filesystem::weakly_canonical(file, ec);
    return ec ? file.string() : canonical.string();
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& file) : key_(canonical_lock_path(file)) {
    Held& held = held_by_thread[key_];
    if (held.depth++ > 0) return;
    held.fd = ::open(key_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (held.fd >= 0) ::flock(held.fd, LOCK_EX);
}

FileLock::~FileLock() {
    auto it = held_by_thread.find(key_);
    if (it == held_by_thread.end() || --it->second.depth > 0) return;
    if (it->second.fd >= 0) ::close(it->second.fd);
    held_by_thread.erase(it);
}

std::string Repository::lock_key() const {
    return canonical_lock_path(std::filesystem::path(git_repository_commondir(impl_->repo.get())) / "ferry" /
                               "write.lock");
}

WriteHold Repository::hold() const {
    return WriteHold(std::make_unique<FileLock>(lock_key()));
}

}  // namespace ferry::git
