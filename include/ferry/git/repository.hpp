// The only interface to libgit2: open a repository, resolve a ref, read a
// tree, and write one commit safely.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/git/commit_target.hpp"
#include "ferry/model/tree.hpp"

namespace ferry::git {

// libgit2's global state, held once by main (and by test runners).
class Library {
public:
    Library();
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;
};

// A fetch's progress, for a terminal: each line replaces the one shown
// before; `last` ends it (an empty last line erases it).
using Progress = std::function<void(const std::string& line, bool last)>;

// Whether git would create a branch of that name (a valid ref name under
// refs/heads/, not starting with '-', not HEAD or @).
bool is_valid_branch_name(const std::string& name);

struct Resolved {
    std::string ref;     // what was asked for, or the branch read
    std::string commit;  // full hex id
};

struct CommitInfo {
    std::string id;
    std::int64_t time = 0;  // seconds since the epoch, the committer's
    std::string author_name, author_email;
    std::string message;
    std::string parent;  // the first parent's id; empty for a root commit
};

class Repository : public CommitTarget {
public:
    static std::expected<Repository, std::string> open(const std::filesystem::path& path);
    // A repository named by URL, through its bare clone at `cache` (made on
    // first use): fetched now, so that its branches are the remote's. Writes
    // to it go to the remote: commit() pushes, and takes the commit back when
    // the push fails.
    static std::expected<Repository, std::string> open_remote(const std::string& url,
                                                              const std::filesystem::path& cache,
                                                              Progress progress = {});
    // The repository that holds `start` (its work tree or git folder, or a
    // folder inside them), searching parent folders as git does.
    static std::expected<Repository, std::string> discover(const std::filesystem::path& start);
    ~Repository() override;
    Repository(Repository&&) noexcept;
    Repository& operator=(Repository&&) noexcept;

    // `branch` names a branch (empty: the branch HEAD points at); `ref`, when
    // not empty, is any revision git understands and wins over the branch.
    std::expected<Resolved, std::string> resolve(const std::string& branch, const std::string& ref) const;
    // The tree at `folder` ("" for the root) of a commit, listed without reading blobs.
    std::expected<std::unique_ptr<TreeSource>, std::string> tree(const std::string& commit,
                                                                 const std::string& folder) const;
    // The id of the tree at `folder` ("" for the root) of a commit.
    std::expected<std::string, std::string> tree_id(const std::string& commit, const std::string& folder) const;
    // A file that differs between two trees. Ids are empty on the side that
    // lacks it; `blobs` is false when either side is not a plain file (a
    // folder, a symbolic link, a submodule), which is listed once, not walked.
    struct FileChange {
        std::string path;  // relative to the trees
        std::string old_id, new_id;
        bool blobs = true;
    };
    // The files that differ from tree `from` to tree `to` (ids, in path
    // order). Folders with the same id are not opened: the cost follows the
    // change, not the tree.
    std::expected<std::vector<FileChange>, std::string> changed_files(const std::string& from,
                                                                      const std::string& to) const;
    // Those of `paths` (relative to tree `tree`) that it has, listed and read
    // as tree() lists and reads them; each blob is inflated once, and kept
    // (a few files, read to load and read again to plan).
    std::expected<std::unique_ptr<TreeSource>, std::string> files(const std::string& tree,
                                                                  const std::vector<std::string>& paths) const;
    std::filesystem::path git_dir() const;
    // Whether this is a clone of a URL, written through to its remote.
    bool remote() const override;
    // The file every ferry writer to this repository (any of its work trees)
    // locks, <commondir>/ferry/write.lock, by its canonical path.
    std::string lock_key() const override;
    WriteHold hold() const override;
    // The work tree's root; empty for a bare repository.
    std::filesystem::path work_dir() const;
    // The names of the local branches (a URL's clone: the remote's).
    std::vector<std::string> branches() const;
    // The branch HEAD names, even one with no commit yet.
    std::expected<std::string, std::string> head_branch() const;
    // No commit on any branch yet (a fresh `git init`).
    bool empty() const;
    // A shallow clone (`git clone --depth`, CI's default checkout): commits
    // beyond its depth, and branches it did not fetch, are missing.
    bool shallow() const;
    // A git config value (the repository's, then global ones), if set.
    std::optional<std::string> config(const char* key) const override;

    // Writes `changes` on top of base_commit as a commit, moving nothing.
    // Returns the new commit, or nullopt when the changes change nothing.
    std::expected<std::optional<std::string>, WriteFailure> prepare(const CommitRequest& request) const override;
    // Moves the branch to `commit` only if it still points at base_commit
    // (compare-and-swap). A checked-out branch's clean work tree and index
    // are updated too; a dirty one refuses the write. A remote() repository
    // pushes the branch as part of the write; when the remote's branch moved
    // on meanwhile, the new tip is fetched and the write fails as `moved`.
    std::expected<void, WriteFailure> publish(const CommitRequest& request, const std::string& commit) const override;
    // What publish() would refuse before writing anything (a dirty work
    // tree), so that a change spanning several repositories can be refused
    // before any of them is written.
    std::expected<void, WriteFailure> preflight(const CommitRequest& request) const override;
    // SPEC 6: when `commit` is what the work tree has checked out (HEAD on
    // branch `branch`), the files under `folder` ("" for all) that differ
    // from it, uncommitted or untracked (paths inside the repository);
    // nothing for a bare repository or another commit.
    std::vector<std::string> uncommitted(const std::string& branch, const std::string& commit,
                                         const std::string& folder) const;
    // Whether `commit` is `tip` or one of its ancestors.
    std::expected<bool, std::string> reaches(const std::string& tip, const std::string& commit) const;
    // The commits reachable from `commit`, newest first, that changed any of
    // `paths` (each compared with its first parent).
    std::expected<std::vector<CommitInfo>, std::string> history(const std::string& commit,
                                                                const std::vector<std::string>& paths) const;
    // The bytes of the file at `path` in `commit`: nullopt when it has none
    // there; an error when it is not a file or larger than `max_size`.
    std::expected<std::optional<std::string>, std::string> file_at(const std::string& commit, const std::string& path,
                                                                   std::uint64_t max_size) const;
    // Takes back a commit this process wrote with `request`, when a later
    // step failed (a push, another repository of the same change): the
    // branch (and its clean work trees) go back to base_commit, only if
    // the branch still points at `commit`. A remote() repository's commit
    // has been pushed already and is left as it is (an `other` failure).
    std::expected<void, WriteFailure> undo(const CommitRequest& request, const std::string& commit) const override;
    // Finishes what a ferry process killed while writing left half-done:
    // the work trees of a branch it had moved (or was moving back) are
    // brought to where the branch points, and a change across repositories
    // that this one's intent record names is finished or taken back in all
    // of them (see Intent). Every write does this first; a command that
    // ends up writing nothing calls it so that running it again always
    // leaves the repository consistent.
    std::expected<void, WriteFailure> finish_interrupted_write() const override;
    // The intent record, kept in <commondir>/ferry/intent.
    std::expected<void, WriteFailure> record_intent(const Intent& intent) const override;
    void clear_intent() const override;
    // What a read says of an intent record left here (the repositories it
    // names, and that the next write finishes it); nullopt when none is.
    std::optional<std::string> interrupted_write() const;
    // Pushes `branch` to its upstream's remote, else to origin (a remote()
    // repository: to its URL).
    std::expected<void, WriteFailure> push(const std::string& branch) const override;

private:
    struct Impl;
    // finish_interrupted_write()'s part for the intent record (git/intent.cpp).
    std::expected<void, WriteFailure> finish_intent() const;
    // Its part for this repository alone: the pending checkout, git's
    // index.lock files a killed ferry left.
    std::expected<void, WriteFailure> finish_own_write() const;
    explicit Repository(std::unique_ptr<Impl> impl);
    static std::expected<Repository, std::string> open_ext(const std::filesystem::path& path, unsigned flags,
                                                           std::string_view failure);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::git
