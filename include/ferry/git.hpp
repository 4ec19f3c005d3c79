// The only interface to libgit2: open a repository, resolve a ref, read a
// tree. (Writing commits comes with the write path.)
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <string>

#include "ferry/tree.hpp"

namespace ferry::git {

// libgit2's global state, held once by main (and by test runners).
class Library {
public:
    Library();
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;
};

struct Resolved {
    std::string ref;     // what was asked for, or the branch read
    std::string commit;  // full hex id
};

class Repository {
public:
    static std::expected<Repository, std::string> open(const std::filesystem::path& path);
    ~Repository();
    Repository(Repository&&) noexcept;
    Repository& operator=(Repository&&) noexcept;

    // `branch` names a branch (empty: the branch HEAD points at); `ref`, when
    // not empty, is any revision git understands and wins over the branch.
    std::expected<Resolved, std::string> resolve(const std::string& branch, const std::string& ref) const;
    // The tree at `folder` ("" for the root) of a commit, listed without reading blobs.
    std::expected<std::unique_ptr<TreeSource>, std::string> tree(const std::string& commit,
                                                                 const std::string& folder) const;
    std::filesystem::path git_dir() const;

private:
    struct Impl;
    explicit Repository(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::git
