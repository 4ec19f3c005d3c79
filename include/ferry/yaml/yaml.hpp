// ferry's own compact YAML document tree.
//
// Every node keeps its line and column. Nodes live in one flat array per
// document and scalar text in one buffer, so a document costs a few
// allocations whatever its size. An alias is a second reference to the
// anchored node: it is never copied, and the parser bounds what a walk over
// the expanded tree could cost (see parser.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::yaml {

// Scalars are typed by the YAML 1.2 core schema: a plain `true` is a boolean,
// a quoted "true" a string, and `yes`/`no` are strings (no Norway problem).
enum class Type : std::uint8_t { null, boolean, integer, number, string, map, seq };

struct Mark {
    std::uint32_t line = 0;    // from 1; 0 when unknown
    std::uint32_t column = 0;  // from 1
};

class Document;
struct Limits;

// A cheap handle on a node of a Document; valid while the Document lives.
class Node {
public:
    Node() = default;
    Node(const Document* doc, std::uint32_t index) : doc_(doc), index_(index) {}

    explicit operator bool() const { return doc_ != nullptr; }
    Type type() const;
    Mark mark() const;
    bool is_map() const { return type() == Type::map; }
    bool is_seq() const { return type() == Type::seq; }
    bool is_scalar() const { return type() < Type::map; }
    bool is_string() const { return type() == Type::string; }
    bool is_null() const { return type() == Type::null; }

    // The scalar's text as written (after YAML unquoting and folding).
    std::string_view text() const;
    bool as_bool() const {
        return type() == Type::boolean && !text().empty() && (text()[0] == 't' || text()[0] == 'T');
    }

    // Number of entries of a map or items of a sequence; 0 for scalars.
    std::size_t size() const;
    // Sequence item i.
    Node item(std::size_t i) const;
    // Map entry i: key and value.
    Node key(std::size_t i) const;
    Node value(std::size_t i) const;
    // The value under `name` in a map, or a null handle.
    Node get(std::string_view name) const;
    // The key node for `name` in a map (for locating diagnostics), or a null handle.
    Node key_node(std::string_view name) const;

    std::uint32_t index() const { return index_; }
    const Document* document() const { return doc_; }

private:
    const Document* doc_ = nullptr;
    std::uint32_t index_ = 0;
};

class Document {
public:
    // 16 bytes: a workspace holds millions of these. The type shares a word
    // with the column (files are at most 64 MiB, so 29 bits are plenty).
    struct NodeData {
        NodeData() = default;
        NodeData(Type type, Mark mark, std::uint32_t first_, std::uint32_t count_)
            : first(first_),
              count(count_),
              line(mark.line),
              column_type((std::min(mark.column, kMaxColumn) << 3) | static_cast<std::uint32_t>(type)) {}
        Type type() const { return static_cast<Type>(column_type & 7u); }
        Mark mark() const { return {line, column_type >> 3}; }

        static constexpr std::uint32_t kMaxColumn = (1u << 29) - 1;
        std::uint32_t first = 0;  // scalar: offset in text; container: offset in children
        std::uint32_t count = 0;  // scalar: length; map: entries; seq: items
        std::uint32_t line = 0;
        std::uint32_t column_type = 0;
    };

    Document() = default;
    // A document moved from is empty, as a vector would be.
    Document(Document&& other) noexcept { swap(other); }
    Document& operator=(Document&& other) noexcept {
        Document(std::move(other)).swap(*this);
        return *this;
    }
    Document(const Document&) = default;
    Document& operator=(const Document&) = default;
    void swap(Document& other) noexcept;

    Node root() const { return node_count_ == 0 ? Node{} : Node{this, root_}; }
    std::size_t node_count() const { return node_count_; }
    const NodeData& data(std::uint32_t i) const { return nodes_[i]; }
    std::string_view text(std::uint32_t offset, std::uint32_t length) const {
        return std::string_view(text_, text_size_).substr(offset, length);
    }
    std::uint32_t child(std::uint32_t slot) const { return children_[slot]; }

    // A flat image of the document, appended to `out`: two documents are
    // the same tree, marks included, when their images are equal bytes.
    void append_image(std::string& out) const;

private:
    friend class Builder;
    // The three arrays, in one block of memory. Documents never change, so
    // copies share it.
    std::shared_ptr<const void> storage_;
    const NodeData* nodes_ = nullptr;
    const std::uint32_t* children_ = nullptr;  // map: key, value, key, value...; seq: items
    const char* text_ = nullptr;
    std::uint32_t node_count_ = 0;
    std::uint32_t child_count_ = 0;
    std::uint32_t text_size_ = 0;
    std::uint32_t root_ = 0;
};

// Assembles a Document bottom-up: a container's children are placed
// contiguously when it is closed, so partially built containers never
// interleave in the children array.
class Builder {
public:
    std::uint32_t scalar(Type type, Mark mark, std::string_view text);
    void open(Type container, Mark mark);
    void add(std::uint32_t child) { pending_.push_back(child); }
    std::uint32_t close();
    // The second occurrence of a key in the innermost open map, if any.
    std::optional<std::uint32_t> duplicate_key() const;
    Mark mark(std::uint32_t index) const { return nodes_[index].mark(); }
    std::string_view text(std::uint32_t index) const {
        const auto& d = nodes_[index];
        return std::string_view(text_).substr(d.first, d.count);
    }
    // The document, sized exactly; the builder is then empty again, and
    // reuses what it allocated for the next one.
    Document finish(std::uint32_t root);
    // Empties the builder (after a failed parse, for one).
    void reset();

private:
    struct Open {
        Type type;
        Mark mark;
        std::size_t first_pending;
    };
    std::vector<Document::NodeData> nodes_;
    std::vector<std::uint32_t> children_;
    std::string text_;
    std::vector<Open> open_;
    std::vector<std::uint32_t> pending_;
};

// Where a YAML problem was found and why.
struct ParseError {
    enum class Kind { syntax, unsafe } kind;
    std::string message;
    Mark mark;
};

struct Limits {
    std::size_t max_depth = 64;  // SPEC 6: nesting deeper than 64 levels is unsafe-tree
    // An alias costs nothing to store, but whoever walks the tree walks the
    // anchored node again: the expanded size is bounded by the text's size.
    std::size_t max_expanded_nodes_base = 10000;
    std::size_t max_expanded_nodes_per_byte = 4;
};

// How a plain (unquoted) scalar with this text would be typed; a writer
// quotes a string whenever this is not Type::string.
Type plain_type(std::string_view text);

// Parses one YAML document (UTF-8; CRLF read as LF). An empty input is a
// document whose root is null.
std::expected<Document, ParseError> parse(std::string_view input, const Limits& limits = {});

}  // namespace ferry::yaml
