#include "ferry/yaml.hpp"

#include <cassert>
#include <unordered_set>

namespace ferry::yaml {

// A null handle (a field that is absent) reads as an empty null node, so that
// callers can chain lookups without checking each step.
Type Node::type() const {
    return doc_ ? doc_->data(index_).type : Type::null;
}
Mark Node::mark() const {
    return doc_ ? doc_->data(index_).mark : Mark{};
}

std::string_view Node::text() const {
    if (!doc_) return {};
    const auto& d = doc_->data(index_);
    if (d.type >= Type::map) return {};
    return doc_->text(d.first, d.count);
}

std::size_t Node::size() const {
    if (!doc_) return 0;
    const auto& d = doc_->data(index_);
    return d.type >= Type::map ? d.count : 0;
}

Node Node::item(std::size_t i) const {
    const auto& d = doc_->data(index_);
    assert(d.type == Type::seq && i < d.count);
    return {doc_, doc_->child(d.first + static_cast<std::uint32_t>(i))};
}

Node Node::key(std::size_t i) const {
    const auto& d = doc_->data(index_);
    assert(d.type == Type::map && i < d.count);
    return {doc_, doc_->child(d.first + 2 * static_cast<std::uint32_t>(i))};
}

Node Node::value(std::size_t i) const {
    const auto& d = doc_->data(index_);
    assert(d.type == Type::map && i < d.count);
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
    auto offset = static_cast<std::uint32_t>(doc_.text_.size());
    doc_.text_.append(text);
    doc_.nodes_.push_back({type, mark, offset, static_cast<std::uint32_t>(text.size())});
    return static_cast<std::uint32_t>(doc_.nodes_.size() - 1);
}

void Builder::open(Type container, Mark mark) {
    open_.push_back({container, mark, pending_.size()});
}

std::uint32_t Builder::close() {
    Open o = open_.back();
    open_.pop_back();
    auto first = static_cast<std::uint32_t>(doc_.children_.size());
    std::size_t n = pending_.size() - o.first_pending;
    doc_.children_.insert(doc_.children_.end(), pending_.begin() + static_cast<std::ptrdiff_t>(o.first_pending),
                          pending_.end());
    pending_.resize(o.first_pending);
    auto count = static_cast<std::uint32_t>(o.type == Type::map ? n / 2 : n);
    doc_.nodes_.push_back({o.type, o.mark, first, count});
    return static_cast<std::uint32_t>(doc_.nodes_.size() - 1);
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

Document Builder::finish(std::uint32_t root) {
    doc_.root_ = root;
    return std::move(doc_);
}

}  // namespace ferry::yaml
