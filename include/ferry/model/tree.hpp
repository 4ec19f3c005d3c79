// The narrow interface through which a workspace tree is read: git in
// production (git/), memory in tests. Loading never touches disk or git itself.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

namespace ferry {

// A tree lists its files; a folder nested deeper than anything a workspace
// needs is listed as `too_deep`, its content left unread.
enum class EntryType { blob, symlink, submodule, too_deep };

struct TreeEntry {
    std::string path;  // relative to the workspace root, '/'-separated
    EntryType type = EntryType::blob;
    std::string id;  // the object id, hex; empty when the source has none
};

struct ReadError {
    bool too_large = false;
    std::uint64_t size = 0;
    std::string message;
};

class TreeSource {
public:
    virtual ~TreeSource() = default;
    // Every file of the tree, in path order.
    virtual const std::vector<TreeEntry>& entries() const = 0;
    // A blob's bytes; refused (too_large) beyond max_size without reading it.
    // kAnySize: a blob known to be within limits (read before), read
    // without asking its size first. Called from several threads at once.
    static constexpr std::uint64_t kAnySize = UINT64_MAX;
    virtual std::expected<std::string, ReadError> read(const TreeEntry& entry, std::uint64_t max_size) const = 0;
};

// A tree held in memory, for tests and tools.
class MemoryTree : public TreeSource {
public:
    MemoryTree& add(std::string path, std::string content, EntryType type = EntryType::blob);
    const std::vector<TreeEntry>& entries() const override { return entries_; }
    std::expected<std::string, ReadError> read(const TreeEntry& entry, std::uint64_t max_size) const override;

private:
    std::vector<TreeEntry> entries_;
    std::map<std::string, std::string> contents_;
};

}  // namespace ferry
