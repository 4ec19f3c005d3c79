#include "ferry/yaml/yaml.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <unordered_set>

namespace ferry::yaml {

// A null handle (a field that is absent) reads as an empty null node, so that
// callers can chain lookups without checking each step.
Type Node::type() const {
    return doc_ ? doc_->data(index_).type() : Type::null;
}
Mark Node::mark() const {
    return doc_ ? doc_->data(index_).mark() : Mark{};
}

std::string_view Node::text() const {
    if (!doc_) return {};
    const auto& d = doc_->data(index_);
    if (d.type() >= Type::map) return {};
    return doc_->text(d.first, d.count);
}

std::size_t Node::size() const {
    if (!doc_) return 0;
    const auto& d = doc_->data(index_);
    return d.type() >= Type::map ? d.count : 0;
}

Node Node::item(std::size_t i) const {
    const auto& d = doc_->data(index_);
    assert(d.type() == Type::seq && i < d.count);
    return {doc_, doc_->child(d.first + static_cast<std::uint32_t>(i))};
}

Node Node::key(std::size_t i) const {
    const auto& d = doc_->data(index_);
    assert(d.type() == Type::map && i < d.count);
    return {doc_, doc_->child(d.first + 2 * static_cast<std::uint32_t>(i))};
}

Node Node::value(std::size_t i) const {
    const auto& d = doc_->data(index_);
    assert(d.type() == Type::map && i < d.count);
    return {doc_, doc_->child(d.first + 2 * static_cast<std::uint32_t>(i) + 1)};
}

Node Node::key_node(std::string_view name) const {
    if (!doc_ || !is_map()) return {};
    for (std::size_t i = 0, n = size(); i < n; ++i) {
        Node k = key(i);
        if (k.text() == name) return k;
    }
    return {};
}

Node Node::get(std::string_view name) const {
    if (!doc_ || !is_map()) return {};
    for (std::size_t i = 0, n = size(); i < n; ++i) {
        if (key(i).text() == name) return value(i);
    }
    return {};
}

std::uint32_t Builder::scalar(Type type, Mark mark, std::string_view text) {
    auto offset = static_cast<std::uint32_t>(text_.size());
    text_.append(text);
    nodes_.push_back({type, mark, offset, static_cast<std::uint32_t>(text.size())});
    return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void Builder::open(Type container, Mark mark) {
    open_.push_back({container, mark, pending_.size()});
}

std::uint32_t Builder::close() {
    Open o = open_.back();
    open_.pop_back();
    auto first = static_cast<std::uint32_t>(children_.size());
    std::size_t n = pending_.size() - o.first_pending;
    children_.insert(children_.end(), pending_.begin() + static_cast<std::ptrdiff_t>(o.first_pending), pending_.end());
    pending_.resize(o.first_pending);
    auto count = static_cast<std::uint32_t>(o.type == Type::map ? n / 2 : n);
    nodes_.push_back({o.type, o.mark, first, count});
    return static_cast<std::uint32_t>(nodes_.size() - 1);
}

std::optional<std::uint32_t> Builder::duplicate_key() const {
    const Open& o = open_.back();
    std::size_t n = (pending_.size() - o.first_pending) / 2;
    if (n < 2) return std::nullopt;
    if (n <= 8) {
        for (std::size_t i = 1; i < n; ++i) {
            for (std::size_t j = 0; j < i; ++j) {
                if (text(pending_[o.first_pending + 2 * i]) == text(pending_[o.first_pending + 2 * j])) {
                    return pending_[o.first_pending + 2 * i];
                }
            }
        }
        return std::nullopt;
    }
    // links.yaml can hold 100,000 entries in one map: hash, never compare pairs.
    std::unordered_set<std::string_view> seen;
    seen.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t key = pending_[o.first_pending + 2 * i];
        if (!seen.insert(text(key)).second) return key;
    }
    return std::nullopt;
}

namespace {

template <class T>
void put(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

}  // namespace

// One block for the three arrays: nodes, then children, then text. A byte
// array provides storage for the objects copied into it, and is aligned for
// any of them.
std::shared_ptr<std::byte[]> allocate_block(std::size_t nodes, std::size_t children, std::size_t text) {
    std::size_t bytes = nodes * sizeof(Document::NodeData) + children * sizeof(std::uint32_t) + text;
    return std::shared_ptr<std::byte[]>(new std::byte[std::max<std::size_t>(bytes, 1)]);
}

void Document::swap(Document& other) noexcept {
    std::swap(storage_, other.storage_);
    std::swap(nodes_, other.nodes_);
    std::swap(children_, other.children_);
    std::swap(text_, other.text_);
    std::swap(node_count_, other.node_count_);
    std::swap(child_count_, other.child_count_);
    std::swap(text_size_, other.text_size_);
    std::swap(root_, other.root_);
}

// root, node count, child count, text length, then the three arrays as they
// are in memory.
void Document::append_image(std::string& out) const {
    put(out, root_);
    put(out, node_count_);
    put(out, child_count_);
    put(out, text_size_);
    out.append(reinterpret_cast<const char*>(nodes_), node_count_ * sizeof(NodeData));
    out.append(reinterpret_cast<const char*>(children_), child_count_ * sizeof(std::uint32_t));
    out.append(text_, text_size_);
}

Document Builder::finish(std::uint32_t root) {
    // A workspace keeps tens of thousands of documents: each gets one block
    // of exactly its size, copied once, while the builder keeps its grown
    // arrays for the next document.
    Document out;
    auto block = allocate_block(nodes_.size(), children_.size(), text_.size());
    auto* base = reinterpret_cast<char*>(block.get());
    const std::size_t node_bytes = nodes_.size() * sizeof(Document::NodeData);
    const std::size_t child_bytes = children_.size() * sizeof(std::uint32_t);
    if (node_bytes) std::memcpy(base, nodes_.data(), node_bytes);
    if (child_bytes) std::memcpy(base + node_bytes, children_.data(), child_bytes);
    if (!text_.empty()) std::memcpy(base + node_bytes + child_bytes, text_.data(), text_.size());
    out.nodes_ = reinterpret_cast<const Document::NodeData*>(base);
    out.children_ = reinterpret_cast<const std::uint32_t*>(base + node_bytes);
    out.text_ = base + node_bytes + child_bytes;
    out.node_count_ = static_cast<std::uint32_t>(nodes_.size());
    out.child_count_ = static_cast<std::uint32_t>(children_.size());
    out.text_size_ = static_cast<std::uint32_t>(text_.size());
    out.root_ = root;
    out.storage_ = std::move(block);
    reset();
    return out;
}

void Builder::reset() {
    // What an unusually large file grew is given back rather than kept.
    constexpr std::size_t kKeep = 1 << 20;
    const bool large = nodes_.capacity() * sizeof(Document::NodeData) > kKeep || text_.capacity() > kKeep ||
                       children_.capacity() * sizeof(std::uint32_t) > kKeep ||
                       pending_.capacity() * sizeof(std::uint32_t) > kKeep;
    nodes_.clear();
    children_.clear();
    text_.clear();
    open_.clear();
    pending_.clear();
    if (large) {
        std::vector<Document::NodeData>().swap(nodes_);
        std::vector<std::uint32_t>().swap(children_);
        std::string().swap(text_);
        std::vector<std::uint32_t>().swap(pending_);
        std::vector<Open>().swap(open_);
    }
}

}  // namespace ferry::yaml
