#include <algorithm>
#include <map>
#include <optional>

#include "transfer.hpp"

namespace ferry::git {
namespace {

// Blobs are read by every core at once. One object database each: libgit2
// serializes the readers of one database (its pack cache), and under perf the
// workers of a load spent a tenth of their time waking each other.
class GitTree : public TreeSource {
public:
    // `keep`: blobs read once are kept and handed out again (a tree of a
    // few files, whose blobs a plan reads twice: to load, then to diff).
    GitTree(OdbHandle odb, std::string objects_dir, std::vector<TreeEntry> entries, bool keep = false)
        : shared_(std::move(odb)),
          objects_dir_(std::move(objects_dir)),
          entries_(std::move(entries)),
          kept_(keep ? entries_.size() : 0) {}

    const std::vector<TreeEntry>& entries() const override { return entries_; }

    std::expected<std::string, ReadError> read(const TreeEntry& entry, std::uint64_t max_size) const override {
        const auto index = static_cast<std::size_t>(&entry - entries_.data());
        if (index >= kept_.size()) return read_blob(entry, max_size);
        {
            std::lock_guard lock(mutex_);
            if (kept_[index]) {
                if (max_size != kAnySize && kept_[index]->size() > max_size)
                    return std::unexpected(ReadError{true, kept_[index]->size(), {}});
                return *kept_[index];
            }
        }
        auto text = read_blob(entry, max_size);
        if (text) {
            std::lock_guard lock(mutex_);
            kept_[index] = *text;
        }
        return text;
    }

private:
    std::expected<std::string, ReadError> read_blob(const TreeEntry& entry, std::uint64_t max_size) const {
        git_oid oid;
        if (git_oid_fromstr(&oid, entry.id.c_str()) != 0) {
            return std::unexpected(ReadError{false, 0, "bad object id for " + entry.path});
        }
        Lease lease(*this);
        git_odb* odb = lease.odb ? lease.odb.get() : shared_.get();
        // The size comes from the object header: an oversized blob is
        // refused without being inflated. (For a delta that costs a second
        // inflation, spared when the blob is known to be within limits.)
        if (max_size != kAnySize) {
            std::size_t size = 0;
            git_object_t type{};
            if (git_odb_read_header(&size, &type, odb, &oid) != 0) {
                return std::unexpected(ReadError{false, 0, last_error("cannot read " + entry.path)});
            }
            if (size > max_size) return std::unexpected(ReadError{true, size, {}});
            if (type != GIT_OBJECT_BLOB) return std::unexpected(ReadError{false, 0, entry.path + " is not a blob"});
        }
        git_odb_object* raw = nullptr;
        if (git_odb_read(&raw, odb, &oid) != 0) {
            return std::unexpected(ReadError{false, 0, last_error("cannot read " + entry.path)});
        }
        OdbObjectHandle object(raw);
        if (git_odb_object_type(object.get()) != GIT_OBJECT_BLOB) {
            return std::unexpected(ReadError{false, 0, entry.path + " is not a blob"});
        }
        const char* data = static_cast<const char*>(git_odb_object_data(object.get()));
        return std::string(data, git_odb_object_size(object.get()));
    }

    // A database no other thread is using, opened when all are busy, and
    // given back after the read; none when one cannot be opened (the
    // repository's own database, safe to share, serves then).
    struct Lease {
        explicit Lease(const GitTree& tree) : owner(tree) {
            {
                std::lock_guard lock(tree.mutex_);
                if (!tree.idle_.empty()) {
                    odb = std::move(tree.idle_.back());
                    tree.idle_.pop_back();
                    return;
                }
            }
            git_odb* raw = nullptr;
            if (git_odb_open(&raw, tree.objects_dir_.c_str()) == 0) odb.reset(raw);
        }
        ~Lease() {
            if (!odb) return;
            std::lock_guard lock(owner.mutex_);
            owner.idle_.push_back(std::move(odb));
        }
        const GitTree& owner;
        OdbHandle odb;
    };

    OdbHandle shared_;  // the repository's
    std::string objects_dir_;
    std::vector<TreeEntry> entries_;
    mutable std::mutex mutex_;
    mutable std::vector<OdbHandle> idle_;
    mutable std::vector<std::optional<std::string>> kept_;  // by entry, when kept
};

// libgit2 walks a tree recursively, a stack frame a folder: a tree nested
// 100,000 folders deep would overflow the stack. A folder deeper than any
// workspace needs is listed as `too_deep` and not walked into.
constexpr std::ptrdiff_t kMaxFolderDepth = 64;

int collect(const char* root, const git_tree_entry* entry, void* payload) {
    auto* out = static_cast<std::vector<TreeEntry>*>(payload);
    git_filemode_t mode = git_tree_entry_filemode(entry);
    if (mode == GIT_FILEMODE_TREE && std::ranges::count(std::string_view(root), '/') + 1 >= kMaxFolderDepth) {
        out->push_back({std::string(root) + git_tree_entry_name(entry), EntryType::too_deep, {}});
        return 1;  // not walked into
    }
    EntryType type;
    switch (mode) {
        case GIT_FILEMODE_BLOB:
        case GIT_FILEMODE_BLOB_EXECUTABLE:
            type = EntryType::blob;
            break;
        case GIT_FILEMODE_LINK:
            type = EntryType::symlink;
            break;
        case GIT_FILEMODE_COMMIT:
            type = EntryType::submodule;
            break;
        default:
            return 0;  // trees: walked into
    }
    out->push_back({std::string(root) + git_tree_entry_name(entry), type, hex(git_tree_entry_id(entry))});
    return 0;
}

}  // namespace

Library::Library() {
    git_libgit2_init();
    // Like git itself, trust the object database to hold what it says:
    // hashing every blob again on each read cost a tenth of a plan.
    // `git fsck` is the tool that verifies a repository.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}
Library::~Library() {
    git_libgit2_shutdown();
}

Repository::Repository(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Repository::~Repository() = default;
Repository::Repository(Repository&&) noexcept = default;
Repository& Repository::operator=(Repository&&) noexcept = default;

std::expected<Repository, std::string> Repository::open_ext(const std::filesystem::path& path, unsigned flags,
                                                            std::string_view failure) {
    git_repository* raw = nullptr;
    if (git_repository_open_ext(&raw, path.c_str(), flags, nullptr) != 0) {
        return std::unexpected(last_error(path.string() + std::string(failure)));
    }
    auto impl = std::make_unique<Impl>();
    impl->repo.reset(raw);
    return Repository(std::move(impl));
}

std::expected<Repository, std::string> Repository::open(const std::filesystem::path& path) {
    // No search upwards: the configured folder must itself be a repository
    // (or its .git), never a parent's.
    return open_ext(path, GIT_REPOSITORY_OPEN_NO_SEARCH, " is not a git repository");
}

std::expected<Repository, std::string> Repository::discover(const std::filesystem::path& start) {
    return open_ext(start, 0, " is not in a git repository");
}

std::filesystem::path Repository::git_dir() const {
    return git_repository_path(impl_->repo.get());
}

bool Repository::shallow() const {
    return git_repository_is_shallow(impl_->repo.get()) == 1;
}

std::filesystem::path Repository::work_dir() const {
    const char* dir = git_repository_workdir(impl_->repo.get());
    return dir ? std::filesystem::path(dir) : std::filesystem::path();
}

bool Repository::empty() const {
    // Not git_repository_is_empty(): it also asks that HEAD name the
    // configured default branch.
    git_repository* repo = impl_->repo.get();
    if (git_repository_head_unborn(repo) != 1) return false;
    git_reference_iterator* raw = nullptr;
    if (git_reference_iterator_new(&raw, repo) != 0) return false;
    const char* name = nullptr;
    bool any = git_reference_next_name(&name, raw) == 0;
    git_reference_iterator_free(raw);
    return !any;
}

std::expected<std::string, std::string> Repository::head_branch() const {
    // HEAD names the default branch, even when that branch has no commit yet.
    git_reference* head = nullptr;
    if (git_reference_lookup(&head, impl_->repo.get(), "HEAD") != 0) {
        return std::unexpected(last_error("cannot read HEAD"));
    }
    ReferenceHandle h(head);
    if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC) {
        return std::unexpected(std::string("HEAD is detached; name a branch in ferry.yaml"));
    }
    std::string name = git_reference_symbolic_target(head);
    return name.starts_with("refs/heads/") ? name.substr(11) : name;
}

std::vector<std::string> Repository::branches() const {
    std::vector<std::string> out;
    git_branch_iterator* raw = nullptr;
    if (git_branch_iterator_new(&raw, impl_->repo.get(), GIT_BRANCH_LOCAL) != 0) return out;
    std::unique_ptr<git_branch_iterator, Deleter<git_branch_iterator, git_branch_iterator_free>> it(raw);
    git_reference* ref = nullptr;
    git_branch_t type;
    while (git_branch_next(&ref, &type, raw) == 0) {
        ReferenceHandle owned(ref);
        const char* name = nullptr;
        if (git_branch_name(&name, ref) == 0 && name) out.emplace_back(name);
    }
    return out;
}

std::expected<Resolved, std::string> Repository::resolve(const std::string& branch, const std::string& ref) const {
    git_repository* repo = impl_->repo.get();
    // A clone of a URL mirrors branches and tags; any other ref
    // (refs/pull/7/head) is fetched when first asked for, so that it too is
    // the remote's current one.
    if (remote() && ref.starts_with("refs/") && !ref.starts_with("refs/heads/") && !ref.starts_with("refs/tags/") &&
        !impl_->fetched.contains(ref)) {
        WriteLock lock(repo);
        if (auto fetched = fetch(repo, impl_->url, impl_->progress, {"+" + ref + ":" + ref}, false); !fetched)
            return std::unexpected(fetched.error());
        impl_->fetched.insert(ref);
    }
    std::string spec = ref;
    std::string name = ref;
    if (spec.empty()) {
        std::string branch_name = branch;
        if (branch_name.empty()) {
            auto head = head_branch();
            if (!head) return std::unexpected(head.error());
            branch_name = *head;
        }
        name = branch_name;
        spec = "refs/heads/" + branch_name;
        git_reference* r = nullptr;
        int rc = git_reference_lookup(&r, repo, spec.c_str());
        ReferenceHandle owned(r);
        if (rc == GIT_ENOTFOUND) {
            if (git_repository_head_unborn(repo) == 1 && branch.empty()) {
                return std::unexpected("branch '" + branch_name + "' has no commits yet");
            }
            return std::unexpected("branch '" + branch_name + "' does not exist");
        }
        if (rc != 0) return std::unexpected(last_error("cannot read branch '" + branch_name + "'"));
    }
    git_object* obj = nullptr;
    if (git_revparse_single(&obj, repo, spec.c_str()) != 0) {
        return std::unexpected(last_error("cannot resolve '" + name + "'"));
    }
    ObjectHandle object(obj);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0) {
        return std::unexpected(last_error("'" + name + "' does not name a commit"));
    }
    ObjectHandle commit(peeled);
    return Resolved{name, hex(git_object_id(peeled))};
}

namespace {

// The tree at `folder` of `commit`, looked up.
std::expected<TreeHandle, std::string> folder_tree(git_repository* repo, const std::string& commit,
                                                   const std::string& folder) {
    git_oid oid;
    if (git_oid_fromstr(&oid, commit.c_str()) != 0) return std::unexpected("bad commit id " + commit);
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, repo, &oid) != 0) return std::unexpected(last_error("cannot read commit " + commit));
    CommitHandle commit_handle(c);
    git_tree* t = nullptr;
    if (git_commit_tree(&t, c) != 0) return std::unexpected(last_error("cannot read the tree of " + commit));
    TreeHandle root(t);
    if (folder.empty()) return root;
    git_tree_entry* e = nullptr;
    if (git_tree_entry_bypath(&e, t, folder.c_str()) != 0) {
        return std::unexpected("folder '" + folder + "' does not exist at commit " + commit.substr(0, 12));
    }
    TreeEntryHandle entry(e);
    if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
        return std::unexpected("'" + folder + "' is not a folder at commit " + commit.substr(0, 12));
    }
    git_tree* s = nullptr;
    if (git_tree_lookup(&s, repo, git_tree_entry_id(e)) != 0)
        return std::unexpected(last_error("cannot read " + folder));
    return TreeHandle(s);
}

std::expected<TreeHandle, std::string> lookup_tree(git_repository* repo, const std::string& id) {
    git_oid oid;
    git_tree* t = nullptr;
    if (git_oid_fromstr(&oid, id.c_str()) != 0 || git_tree_lookup(&t, repo, &oid) != 0)
        return std::unexpected(last_error("cannot read tree " + id));
    return TreeHandle(t);
}

// A readable tree of these entries, reading through the repository's objects.
std::expected<std::unique_ptr<TreeSource>, std::string> readable(git_repository* repo, std::vector<TreeEntry> entries,
                                                                 bool keep = false) {
    git_odb* odb = nullptr;
    if (git_repository_odb(&odb, repo) != 0) return std::unexpected(last_error("cannot open the object database"));
    OdbHandle odb_handle(odb);
    BufHandle objects;
    if (git_repository_item_path(&objects.buf, repo, GIT_REPOSITORY_ITEM_OBJECTS) != 0)
        return std::unexpected(last_error("cannot find the object database"));
    return std::unique_ptr<TreeSource>(new GitTree(std::move(odb_handle), objects.buf.ptr, std::move(entries), keep));
}

bool is_blob_mode(git_filemode_t mode) {
    return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

// Both trees' entries side by side in git's order; equal ids are skipped,
// folders on both sides walked into (no deeper than a listing goes).
struct TreeComparer {
    git_repository* repo;
    std::vector<Repository::FileChange> out;

    bool compare(const git_tree* a, const git_tree* b, const std::string& prefix, std::ptrdiff_t depth) {
        const std::size_t na = a ? git_tree_entrycount(a) : 0;
        const std::size_t nb = b ? git_tree_entrycount(b) : 0;
        std::size_t i = 0, j = 0;
        while (i < na || j < nb) {
            const git_tree_entry* ea = i < na ? git_tree_entry_byindex(a, i) : nullptr;
            const git_tree_entry* eb = j < nb ? git_tree_entry_byindex(b, j) : nullptr;
            // git orders a folder's name as if it ended in '/'; entries of
            // one name but different types compare apart, which lists them
            // as a removal and an addition.
            int order = !ea ? 1 : !eb ? -1 : git_tree_entry_cmp(ea, eb);
            if (order == 0 && std::string_view(git_tree_entry_name(ea)) != git_tree_entry_name(eb)) order = 1;
            const git_tree_entry* mine = order <= 0 ? ea : nullptr;
            const git_tree_entry* theirs = order >= 0 ? eb : nullptr;
            if (order <= 0) ++i;
            if (order >= 0) ++j;
            if (mine && theirs && git_oid_equal(git_tree_entry_id(mine), git_tree_entry_id(theirs)) &&
                git_tree_entry_filemode(mine) == git_tree_entry_filemode(theirs))
                continue;
            const std::string path = prefix + git_tree_entry_name(mine ? mine : theirs);
            const bool folders = (!mine || git_tree_entry_filemode(mine) == GIT_FILEMODE_TREE) &&
                                 (!theirs || git_tree_entry_filemode(theirs) == GIT_FILEMODE_TREE);
            if (folders && depth + 1 < kMaxFolderDepth) {
                auto open = [&](const git_tree_entry* e) -> std::expected<TreeHandle, std::string> {
                    if (!e) return TreeHandle{};
                    return lookup_tree(repo, hex(git_tree_entry_id(e)));
                };
                auto ta = open(mine);
                auto tb = open(theirs);
                if (!ta || !tb) return false;
                if (!compare(ta->get(), tb->get(), path + "/", depth + 1)) return false;
                continue;
            }
            Repository::FileChange change{path, mine ? hex(git_tree_entry_id(mine)) : std::string{},
                                          theirs ? hex(git_tree_entry_id(theirs)) : std::string{}, true};
            change.blobs = (!mine || is_blob_mode(git_tree_entry_filemode(mine))) &&
                           (!theirs || is_blob_mode(git_tree_entry_filemode(theirs)));
            out.push_back(std::move(change));
        }
        return true;
    }
};

}  // namespace

std::expected<std::unique_ptr<TreeSource>, std::string> Repository::tree(const std::string& commit,
                                                                         const std::string& folder) const {
    git_repository* repo = impl_->repo.get();
    auto walk_root = folder_tree(repo, commit, folder);
    if (!walk_root) return std::unexpected(walk_root.error());
    std::vector<TreeEntry> entries;
    if (git_tree_walk(walk_root->get(), GIT_TREEWALK_PRE, collect, &entries) != 0) {
        return std::unexpected(last_error("cannot list the tree of " + commit));
    }
    // A walk lists a tree in path order already (git orders a folder's
    // names as if a subfolder's ended in '/'), which is checked in one pass.
    if (!std::ranges::is_sorted(entries, {}, &TreeEntry::path)) std::ranges::sort(entries, {}, &TreeEntry::path);
    return readable(repo, std::move(entries));
}

std::expected<std::string, std::string> Repository::tree_id(const std::string& commit,
                                                            const std::string& folder) const {
    auto t = folder_tree(impl_->repo.get(), commit, folder);
    if (!t) return std::unexpected(t.error());
    return hex(git_tree_id(t->get()));
}

std::expected<std::vector<Repository::FileChange>, std::string> Repository::changed_files(const std::string& from,
                                                                                          const std::string& to) const {
    git_repository* repo = impl_->repo.get();
    auto a = lookup_tree(repo, from);
    if (!a) return std::unexpected(a.error());
    auto b = lookup_tree(repo, to);
    if (!b) return std::unexpected(b.error());
    TreeComparer comparer{repo, {}};
    if (!comparer.compare(a->get(), b->get(), "", 0)) return std::unexpected(last_error("cannot compare trees"));
    std::ranges::sort(comparer.out, {}, &FileChange::path);
    return std::move(comparer.out);
}

std::expected<std::unique_ptr<TreeSource>, std::string> Repository::files(const std::string& tree,
                                                                          const std::vector<std::string>& paths) const {
    git_repository* repo = impl_->repo.get();
    auto t = lookup_tree(repo, tree);
    if (!t) return std::unexpected(t.error());
    // Each folder is read once: a folder of 10,000 files is a tree object
    // of half a megabyte, too large for libgit2's object cache.
    std::map<std::string, TreeHandle, std::less<>> folders;
    auto folder = [&](std::string_view name) -> const git_tree* {
        if (name.empty()) return t->get();
        auto it = folders.find(name);
        if (it == folders.end()) {
            TreeHandle sub;
            git_tree_entry* e = nullptr;
            if (git_tree_entry_bypath(&e, t->get(), std::string(name).c_str()) == 0) {
                TreeEntryHandle entry(e);
                git_tree* s = nullptr;
                if (git_tree_entry_type(e) == GIT_OBJECT_TREE && git_tree_lookup(&s, repo, git_tree_entry_id(e)) == 0)
                    sub.reset(s);
            }
            it = folders.emplace(std::string(name), std::move(sub)).first;
        }
        return it->second.get();
    };
    std::vector<TreeEntry> entries;
    for (const std::string& path : paths) {
        const auto slash = path.rfind('/');
        const git_tree* in =
            folder(slash == std::string::npos ? std::string_view{} : std::string_view(path).substr(0, slash));
        if (!in) continue;
        const git_tree_entry* e =
            git_tree_entry_byname(in, path.c_str() + (slash == std::string::npos ? 0 : slash + 1));
        if (!e) continue;
        const git_filemode_t mode = git_tree_entry_filemode(e);
        if (mode == GIT_FILEMODE_TREE) continue;
        const EntryType type = is_blob_mode(mode)          ? EntryType::blob
                               : mode == GIT_FILEMODE_LINK ? EntryType::symlink
                                                           : EntryType::submodule;
        entries.push_back({path, type, hex(git_tree_entry_id(e))});
    }
    std::ranges::sort(entries, {}, &TreeEntry::path);
    entries.erase(std::unique(entries.begin(), entries.end(),
                              [](const TreeEntry& x, const TreeEntry& y) { return x.path == y.path; }),
                  entries.end());
    return readable(repo, std::move(entries), true);
}

}  // namespace ferry::git
