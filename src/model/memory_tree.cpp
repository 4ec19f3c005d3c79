#include <algorithm>

#include "ferry/model/tree.hpp"

namespace ferry {

MemoryTree& MemoryTree::add(std::string path, std::string content, EntryType type) {
    contents_[path] = std::move(content);
    auto at = std::ranges::lower_bound(entries_, path, {}, &TreeEntry::path);
    if (at != entries_.end() && at->path == path) {
        at->type = type;
    } else {
        entries_.insert(at, TreeEntry{std::move(path), type, {}});
    }
    return *this;
}

std::expected<std::string, ReadError> MemoryTree::read(const TreeEntry& entry, std::uint64_t max_size) const {
    auto it = contents_.find(entry.path);
    if (it == contents_.end()) return std::unexpected(ReadError{false, 0, "no such file: " + entry.path});
    if (it->second.size() > max_size) return std::unexpected(ReadError{true, it->second.size(), {}});
    return it->second;
}

}  // namespace ferry
