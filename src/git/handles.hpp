// RAII for libgit2 handles, shared by the files of git/ and nothing else.
#pragma once

#include <git2.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "ferry/git/repository.hpp"

namespace ferry::git {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using RepoHandle = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using ObjectHandle = std::unique_ptr<git_object, Deleter<git_object, git_object_free>>;
using CommitHandle = std::unique_ptr<git_commit, Deleter<git_commit, git_commit_free>>;
using TreeHandle = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;
using TreeEntryHandle = std::unique_ptr<git_tree_entry, Deleter<git_tree_entry, git_tree_entry_free>>;
using ReferenceHandle = std::unique_ptr<git_reference, Deleter<git_reference, git_reference_free>>;
using BlobHandle = std::unique_ptr<git_blob, Deleter<git_blob, git_blob_free>>;
using OdbHandle = std::unique_ptr<git_odb, Deleter<git_odb, git_odb_free>>;
using OdbObjectHandle = std::unique_ptr<git_odb_object, Deleter<git_odb_object, git_odb_object_free>>;
using SignatureHandle = std::unique_ptr<git_signature, Deleter<git_signature, git_signature_free>>;
using StatusListHandle = std::unique_ptr<git_status_list, Deleter<git_status_list, git_status_list_free>>;
using ConfigHandle = std::unique_ptr<git_config, Deleter<git_config, git_config_free>>;
using RemoteHandle = std::unique_ptr<git_remote, Deleter<git_remote, git_remote_free>>;
using IndexHandle = std::unique_ptr<git_index, Deleter<git_index, git_index_free>>;
using DiffHandle = std::unique_ptr<git_diff, Deleter<git_diff, git_diff_free>>;

struct BufHandle {
    git_buf buf = GIT_BUF_INIT;
    ~BufHandle() { git_buf_dispose(&buf); }
};

// Copies libgit2's message at once: the next call overwrites it.
inline std::string last_error(std::string_view what) {
    const git_error* e = git_error_last();
    std::string out(what);
    if (e && e->message) out += std::string(": ") + e->message;
    return out;
}

inline std::string hex(const git_oid* oid) {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, oid);
    return buf;
}

// An exclusive lock on `file` (created if need be) for the object's
// lifetime. flock is released by the kernel if the process dies. Locks
// nest within a thread: a thread that holds `file` already (a write spanning
// several repositories holds them all) takes it again at once; another
// thread, like another process, waits.
class FileLock : public WriteHold::Lock {
public:
    explicit FileLock(const std::filesystem::path& file);
    ~FileLock() override;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    std::string key_;  // the file's canonical path: what nesting is counted by
};

// Serializes ferry's writers to one repository on this machine (and, for a
// clone of a URL, its fetches), so that one never sees another's
// half-updated work tree as uncommitted changes, nor a fetch another's
// commit before it is pushed.
// Repository::lock_key() names the same file.
struct WriteLock : FileLock {
    explicit WriteLock(git_repository* repo)
        : FileLock(std::filesystem::path(git_repository_commondir(repo)) / "ferry" / "write.lock") {}
};

struct Repository::Impl {
    RepoHandle repo;
    std::string url;  // the URL this repository is a clone of; empty for a local repository
    Progress progress;
    std::set<std::string> fetched;  // refs fetched on demand in this process
};

}  // namespace ferry::git
