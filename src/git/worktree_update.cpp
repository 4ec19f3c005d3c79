// Updating a checked-out work tree the way git itself does: under git's own
// index.lock, taken before the branch moves and held until the index and
// the files are written, with every file replaced whole.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "worktrees.hpp"

namespace ferry::git {
namespace {

namespace fs = std::filesystem;

std::unexpected<WriteFailure> fail(std::string message) {
    return std::unexpected(WriteFailure{WriteFailure::Kind::other, std::move(message)});
}

// What ferry writes into index.lock while it holds it: git only looks at
// whether the file exists, and the next ferry can tell a lock a killed
// ferry left behind from one a running git process holds.
constexpr std::string_view kMarker = "ferry holds this lock while it updates the work tree\n";

fs::path index_path(git_repository* checkout) {
    BufHandle path;
    if (git_repository_item_path(&path.buf, checkout, GIT_REPOSITORY_ITEM_INDEX) == 0 && path.buf.ptr)
        return path.buf.ptr;
    return fs::path(git_repository_path(checkout)) / "index";
}

bool left_by_ferry(const fs::path& lock) {
    std::ifstream in(lock, std::ios::binary);
    std::string head(kMarker.size(), '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    return in && head == kMarker;
}

// Writes `content` to `path` whole: into a file beside it, then renamed over
// it, so that a kill at any instant leaves the old file or the new one. The
// file beside has a fixed name (ferry's write lock and index.lock are held):
// one a kill left behind is used again, and so removed, when the next
// ferry command finishes the work tree.
std::expected<void, WriteFailure> replace_file(const fs::path& path, std::string_view content, bool executable,
                                               std::set<fs::path>& folders_made) {
    std::error_code ec;
    if (folders_made.insert(path.parent_path()).second) fs::create_directories(path.parent_path(), ec);
    const fs::path aside = path.parent_path() / (".ferry-" + path.filename().string());
    const int fd = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, executable ? 0755 : 0644);
    if (fd < 0) return fail("cannot write " + path.string() + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            fs::remove(aside, ec);
            return fail("cannot write " + path.string() + ": " + why);
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (::rename(aside.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        fs::remove(aside, ec);
        return fail("cannot write " + path.string() + ": " + why);
    }
    return {};
}

// Removes `path`, and the folders it leaves empty up to `root`, as git does.
std::expected<void, WriteFailure> remove_file(const fs::path& root, const fs::path& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return fail("cannot remove " + path.string() + ": " + std::strerror(errno));
    }
    for (fs::path dir = path.parent_path(); dir != root && dir.string().size() > root.string().size();
         dir = dir.parent_path()) {
        if (::rmdir(dir.c_str()) != 0) break;  // not empty (or gone): stop
    }
    return {};
}

// The index entry of a file just written: its blob id and what stat says.
std::expected<git_index_entry, WriteFailure> entry_of(const fs::path& file, const char* path, const git_oid& id,
                                                      std::uint32_t mode) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0) return fail("cannot read " + file.string() + ": " + std::strerror(errno));
    git_index_entry e{};
    e.ctime.seconds = static_cast<std::int32_t>(st.st_ctim.tv_sec);
    e.ctime.nanoseconds = static_cast<std::uint32_t>(st.st_ctim.tv_nsec);
    e.mtime.seconds = static_cast<std::int32_t>(st.st_mtim.tv_sec);
    e.mtime.nanoseconds = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
    e.dev = static_cast<std::uint32_t>(st.st_dev);
    e.ino = static_cast<std::uint32_t>(st.st_ino);
    e.mode = mode;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.file_size = static_cast<std::uint32_t>(st.st_size);
    e.id = id;
    e.path = path;
    return e;
}

// Whether checking a file out can change its bytes: git's filters (line
// endings, `ident`) act only when an attributes file or a core.autocrlf /
// core.eol setting asks for them. When nothing does, a blob is written as
// it is, without asking for the attributes of each path (which reads the
// attributes files again, folder by folder, for every file).
bool may_filter(git_repository* checkout, git_tree* to) {
    git_config* raw = nullptr;
    if (git_repository_config_snapshot(&raw, checkout) != 0) return true;
    ConfigHandle config(raw);
    for (const char* key : {"core.autocrlf", "core.eol", "core.attributesfile"}) {
        git_config_entry* e = nullptr;
        if (git_config_get_entry(&e, raw, key) == 0) {
            const bool off =
                std::string_view(key) == "core.autocrlf" && e->value && std::string_view(e->value) == "false";
            git_config_entry_free(e);
            if (!off) return true;
        }
    }
    std::error_code ec;
    if (fs::exists(fs::path(git_repository_commondir(checkout)) / "info" / "attributes", ec)) return true;
    bool found = false;
    git_tree_walk(
        to, GIT_TREEWALK_PRE,
        [](const char*, const git_tree_entry* entry, void* payload) {
            if (std::string_view(git_tree_entry_name(entry)) != ".gitattributes") return 0;
            *static_cast<bool*>(payload) = true;
            return -1;  // found: stop
        },
        &found);
    return found;
}

}  // namespace

std::vector<std::filesystem::path> stale_index_locks(git_repository* repo) {
    std::vector<git_repository*> work_trees;
    std::vector<RepoHandle> owned;
    if (!git_repository_is_bare(repo)) work_trees.push_back(repo);
    git_strarray names{};
    if (git_worktree_list(&names, repo) == 0) {
        for (std::size_t i = 0; i < names.count; ++i) {
            git_worktree* wt = nullptr;
            git_repository* opened = nullptr;
            if (git_worktree_lookup(&wt, repo, names.strings[i]) == 0 &&
                git_repository_open_from_worktree(&opened, wt) == 0) {
                owned.emplace_back(opened);
                work_trees.push_back(opened);
            }
            git_worktree_free(wt);
        }
        git_strarray_dispose(&names);
    }
    std::vector<fs::path> out;
    for (git_repository* w : work_trees) {
        const fs::path lock = index_path(w).string() + ".lock";
        if (left_by_ferry(lock)) out.push_back(lock);
    }
    return out;
}

std::expected<IndexLock, WriteFailure> IndexLock::take(git_repository* checkout) {
    const fs::path lock = index_path(checkout).string() + ".lock";
    // `git status` and other readers take index.lock for a moment to refresh
    // the index: wait a little for them before refusing.
    // The lock appears with its marker in it, or not at all: the marker is
    // written aside, then linked into place (link fails if the lock exists).
    const fs::path marked = lock.string() + ".ferry";
    {
        std::ofstream out(marked, std::ios::binary | std::ios::trunc);
        out << kMarker;
        if (!out.flush()) return fail("cannot write " + marked.string());
    }
    for (int tries = 0;; ++tries) {
        if (::link(marked.c_str(), lock.c_str()) == 0) {
            ::unlink(marked.c_str());
            return IndexLock(lock);
        }
        if (errno != EEXIST) {
            const std::string why = std::strerror(errno);
            ::unlink(marked.c_str());
            return fail("cannot lock " + lock.string() + ": " + why);
        }
        // A ferry killed while it held the lock left it: ferry's write lock,
        // held now, says that no ferry holds it any more.
        if (left_by_ferry(lock)) {
            ::unlink(marked.c_str());
            return IndexLock(lock);
        }
        if (tries == 100) {
            ::unlink(marked.c_str());
            return fail("the work tree's index is locked by another git process (" + lock.string() +
                        " exists); nothing was written. Run again once it is done, or remove the file if no git "
                        "process is running");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

IndexLock::IndexLock(IndexLock&& other) noexcept : lock_(std::move(other.lock_)) {
    other.lock_.clear();
}

IndexLock::~IndexLock() {
    if (lock_.empty()) return;
    std::error_code ec;
    fs::remove(lock_, ec);
}

std::expected<void, WriteFailure> IndexLock::replace_index(git_index* index) {
    // Written beside the index by libgit2 (under a lock file of its own
    // name), then renamed over it while index.lock is still held.
    const fs::path index_file = lock_.parent_path() / lock_.stem();
    const fs::path aside = index_file.string() + ".ferry-new";
    // What a killed ferry may have left of the same names (no one else uses
    // them while index.lock is held) goes first.
    std::error_code ec;
    fs::remove(aside, ec);
    fs::remove(aside.string() + ".lock", ec);
    git_index* raw = nullptr;
    if (git_index_open(&raw, aside.c_str()) != 0) return fail(last_error("cannot write the index"));
    IndexHandle out(raw);
    git_index_set_version(out.get(), git_index_version(index));
    for (std::size_t i = 0, n = git_index_entrycount(index); i < n; ++i) {
        if (git_index_add(out.get(), git_index_get_byindex(index, i)) != 0)
            return fail(last_error("cannot write the index"));
    }
    if (git_index_write(out.get()) != 0) return fail(last_error("cannot write the index"));
    fs::rename(aside, index_file, ec);
    if (ec) return fail("cannot write " + index_file.string() + ": " + ec.message());
    test_write_step();
    return {};
}

std::expected<void, WriteFailure> update_worktree(git_repository* checkout, const git_oid* from, const git_oid* to,
                                                  IndexLock& lock) {
    git_tree* raw_from = nullptr;
    git_tree* raw_to = nullptr;
    if (from && git_tree_lookup(&raw_from, checkout, from) != 0) return fail(last_error("cannot read a tree"));
    TreeHandle from_tree(raw_from);
    if (git_tree_lookup(&raw_to, checkout, to) != 0) return fail(last_error("cannot read a tree"));
    TreeHandle to_tree(raw_to);
    git_diff* raw_diff = nullptr;
    if (git_diff_tree_to_tree(&raw_diff, checkout, raw_from, raw_to, nullptr) != 0)
        return fail(last_error("cannot compare trees"));
    DiffHandle diff(raw_diff);
    git_index* raw_index = nullptr;
    if (git_repository_index(&raw_index, checkout) != 0 || git_index_read(raw_index, 1) != 0) {
        git_index_free(raw_index);
        return fail(last_error("cannot read the work tree's index"));
    }
    IndexHandle index(raw_index);
    const fs::path root = git_repository_workdir(checkout);
    const bool filtered = may_filter(checkout, raw_to);
    std::set<fs::path> folders_made;
    for (std::size_t i = 0, n = git_diff_num_deltas(raw_diff); i < n; ++i) {
        const git_diff_delta* d = git_diff_get_delta(raw_diff, i);
        if (d->status == GIT_DELTA_DELETED) {
            const fs::path file = root / d->old_file.path;
            if (auto removed = remove_file(root, file); !removed) return removed;
            git_index_remove(index.get(), d->old_file.path, 0);
            test_write_step();
            continue;
        }
        // The file as git would check it out: the blob through the
        // repository's filters (line endings, attributes).
        git_blob* raw_blob = nullptr;
        if (git_blob_lookup(&raw_blob, checkout, &d->new_file.id) != 0)
            return fail(last_error(std::string("cannot read ") + d->new_file.path));
        BlobHandle blob(raw_blob);
        BufHandle filtered_content;
        std::string_view content(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                                 static_cast<std::size_t>(git_blob_rawsize(blob.get())));
        if (filtered) {
            git_blob_filter_options opts = GIT_BLOB_FILTER_OPTIONS_INIT;
            if (git_blob_filter(&filtered_content.buf, blob.get(), d->new_file.path, &opts) != 0)
                return fail(last_error(std::string("cannot filter ") + d->new_file.path));
            content = {filtered_content.buf.ptr, filtered_content.buf.size};
        }
        const fs::path file = root / d->new_file.path;
        const bool executable = d->new_file.mode == GIT_FILEMODE_BLOB_EXECUTABLE;
        if (d->old_file.path && d->status == GIT_DELTA_RENAMED) {
            if (auto removed = remove_file(root, root / d->old_file.path); !removed) return removed;
        }
        if (auto written = replace_file(file, content, executable, folders_made); !written) return written;
        auto entry = entry_of(file, d->new_file.path, d->new_file.id, d->new_file.mode);
        if (!entry) return std::unexpected(entry.error());
        if (git_index_add(index.get(), &*entry) != 0)
            return fail(last_error(std::string("cannot index ") + d->new_file.path));
        test_write_step();
    }
    return lock.replace_index(index.get());
}

}  // namespace ferry::git
