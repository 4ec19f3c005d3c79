// The fast path of yaml::parse: a line-at-a-time reader for the YAML that
// workspace files are made of, building exactly the document libyaml's
// events would (same nodes, order, types, text and marks).
//
// It never reports an error. Whatever it does not know for certain, it
// declines (returns false all the way up), and the file is read again by
// libyaml, which accepts it or says why not. So being strict here only
// costs speed, and tests/fuzz/fuzz_yaml_subset.cpp checks, on arbitrary
// bytes, that every document accepted here is the one libyaml builds.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "parsers.hpp"

namespace ferry::yaml::detail {
namespace {

// Bytes the subset reads: printable ASCII and line feeds. Tabs, carriage
// returns, control characters and all of UTF-8 beyond ASCII go to libyaml
// (it counts columns in characters, and tabs and CRLF have rules of their own).
constexpr std::array<bool, 256> kReadable = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x7F; ++c)
        t[static_cast<std::size_t>(c)] = true;
    t['\n'] = true;
    return t;
}();

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// What a plain key may hold here: enough for ids, field names and emails.
bool is_key_char(char c) {
    return is_alnum(c) || std::string_view("_-./@$+~()= ").find(c) != std::string_view::npos;
}

// Characters that mean something at the start of a scalar in block context.
bool is_indicator(char c) {
    return std::string_view("-?:,[]{}#&*!|>'\"%@`").find(c) != std::string_view::npos;
}

// libyaml takes a key written without `?` only when its colon comes at most
// 1024 characters after its start (quotes and spaces count): every key here
// is checked against this, block or flow, plain or quoted.
constexpr std::size_t kMaxKey = 1000;

// The reader recurses once per collection; past this depth libyaml (which
// does not recurse) reads the file, whatever Limits allow.
constexpr std::size_t kMaxDepth = 256;

class SubsetParser {
public:
    SubsetParser(std::string_view input, const Limits& limits, Builder& builder)
        : in_(input), limits_(limits), b_(builder) {}

    std::optional<Document> run();

private:
    enum class KeyKind { key, not_key, decline };

    Mark mark(std::size_t p) const { return {line_, static_cast<std::uint32_t>(p - line_start_ + 1)}; }
    std::size_t line_end(std::size_t p) const { return in_.find('\n', p); }
    bool blank(std::size_t p) const { return in_[p] == ' ' || in_[p] == '\n'; }

    void seek_content();
    bool end_line(std::size_t p);
    bool at_entry(std::size_t p) const { return in_[p] == '-' && blank(p + 1); }
    bool at_document_marker() const;

    bool block(std::uint32_t& out);
    bool map(std::size_t indent, std::size_t p, std::uint32_t& out);
    bool seq(std::size_t indent, bool indentless, std::uint32_t& out);
    bool map_value(std::size_t indent, std::size_t p);
    bool seq_item(std::size_t indent, std::size_t p);
    bool empty_then_block(std::size_t indent, Mark empty, bool allow_indentless);
    bool inline_value(std::size_t parent_indent, std::size_t p);
    KeyKind key(std::size_t p, std::size_t& after, bool emit);
    bool quoted(std::size_t p, std::size_t& after, std::string_view& text);
    bool plain(std::size_t p);
    bool flow(std::size_t p);
    bool flow_collection(std::size_t& p);
    bool flow_node(std::size_t& p, bool is_key);
    bool block_scalar(std::size_t parent_indent, std::size_t p);

    bool open(Type type, Mark at) {
        if (++depth_ > std::min(limits_.max_depth, kMaxDepth)) return false;
        b_.open(type, at);
        return true;
    }
    bool close(Type type, std::uint32_t& out) {
        if (type == Type::map && b_.duplicate_key()) return false;
        out = b_.close();
        if (--depth_ > 0) b_.add(out);
        return true;
    }
    void scalar(Type type, Mark at, std::string_view text) {
        std::uint32_t index = b_.scalar(type, at, text);
        if (depth_ > 0) b_.add(index);
    }
    void plain_scalar(Mark at, std::string_view text) {
        canonical_.clear();
        Type type = resolve_plain_scalar(text, canonical_);
        scalar(type, at, canonical_.empty() ? text : std::string_view(canonical_));
    }

    std::string_view in_;
    const Limits& limits_;
    Builder& b_;
    std::size_t line_start_ = 0;  // of the current line
    std::uint32_t line_ = 1;
    std::size_t indent_ = 0;  // of the current line, once it holds content
    bool eof_ = false;
    std::size_t depth_ = 0;
    std::string canonical_;
    std::string scratch_;
};

// From the start of the current line, skips lines that are blank or only a
// comment; then the current line holds content, or the input has ended.
void SubsetParser::seek_content() {
    while (line_start_ < in_.size()) {
        std::size_t i = line_start_;
        while (in_[i] == ' ')
            ++i;
        if (in_[i] != '\n' && in_[i] != '#') {
            indent_ = i - line_start_;
            return;
        }
        line_start_ = line_end(i) + 1;
        ++line_;
    }
    eof_ = true;
}

// The rest of the line from p is spaces and perhaps a comment: moves on to
// the next line with content.
bool SubsetParser::end_line(std::size_t p) {
    std::size_t start = p;
    while (in_[p] == ' ')
        ++p;
    if (in_[p] == '#') {
        if (p == start) return false;  // `#` right after a token is not a comment
    } else if (in_[p] != '\n') {
        return false;
    }
    line_start_ = line_end(p) + 1;
    ++line_;
    seek_content();
    return true;
}

bool SubsetParser::at_document_marker() const {
    if (indent_ != 0 || in_.size() - line_start_ < 4) return false;
    std::string_view head = in_.substr(line_start_, 3);
    return (head == "---" || head == "...") && blank(line_start_ + 3);
}

// The block collection that starts on the current line.
bool SubsetParser::block(std::uint32_t& out) {
    if (at_document_marker()) return false;
    std::size_t p = line_start_ + indent_;
    if (at_entry(p)) return seq(indent_, false, out);
    std::size_t after = 0;
    if (key(p, after, false) != KeyKind::key) return false;  // a scalar alone on its line, or worse
    return map(indent_, p, out);
}

bool SubsetParser::map(std::size_t indent, std::size_t p, std::uint32_t& out) {
    if (!open(Type::map, mark(p))) return false;
    for (;;) {
        if (!map_value(indent, p)) return false;
        if (eof_ || indent_ < indent) break;
        // More indented: a plain scalar going on over lines, or an error.
        if (indent_ > indent || at_document_marker()) return false;
        p = line_start_ + indent;
    }
    return close(Type::map, out);
}

// One `key: value` entry at p; the value may take the lines that follow.
bool SubsetParser::map_value(std::size_t indent, std::size_t p) {
    std::size_t after = 0;
    if (key(p, after, true) != KeyKind::key) return false;
    Mark empty = mark(after);  // where libyaml puts a value that is not there
    std::size_t v = after;
    while (in_[v] == ' ')
        ++v;
    if (in_[v] == '\n' || in_[v] == '#') {
        if (!end_line(after)) return false;
        return empty_then_block(indent, empty, true);
    }
    return inline_value(indent, v);
}

// After `key:` or `-` with nothing more on the line: a more indented block,
// a sequence at the key's own indent, or an empty (null) value.
bool SubsetParser::empty_then_block(std::size_t indent, Mark empty, bool allow_indentless) {
    std::uint32_t child = 0;
    if (!eof_ && indent_ > indent) return block(child);
    if (!eof_ && indent_ == indent && allow_indentless && at_entry(line_start_ + indent)) {
        return seq(indent, true, child);
    }
    scalar(Type::null, empty, "");
    return true;
}

bool SubsetParser::seq(std::size_t indent, bool indentless, std::uint32_t& out) {
    if (!open(Type::seq, mark(line_start_ + indent))) return false;
    for (;;) {
        if (!seq_item(indent, line_start_ + indent)) return false;
        if (eof_ || indent_ < indent) break;
        if (indent_ > indent || at_document_marker()) return false;
        if (!at_entry(line_start_ + indent)) {
            // At a map's indent, the map's next key ends the sequence.
            if (indentless) break;
            return false;
        }
    }
    return close(Type::seq, out);
}

// `- item` at p.
bool SubsetParser::seq_item(std::size_t indent, std::size_t p) {
    Mark empty = mark(p + 1);
    std::size_t v = p + 1;
    while (in_[v] == ' ')
        ++v;
    if (in_[v] == '\n' || in_[v] == '#') {
        if (!end_line(p + 1)) return false;
        return empty_then_block(indent, empty, false);
    }
    if (at_entry(v)) return false;  // `- - x`
    std::size_t after = 0;
    switch (key(v, after, false)) {
        case KeyKind::key: {
            std::uint32_t child = 0;
            return map(v - line_start_, v, child);
        }
        case KeyKind::not_key:
            return inline_value(indent, v);
        case KeyKind::decline:
            return false;
    }
    return false;
}

// A value that starts on the line at p.
bool SubsetParser::inline_value(std::size_t parent_indent, std::size_t p) {
    switch (in_[p]) {
        case '"':
        case '\'': {
            std::size_t after = 0;
            std::string_view text;
            Mark at = mark(p);
            if (!quoted(p, after, text)) return false;
            scalar(Type::string, at, text);
            return end_line(after);
        }
        case '[':
        case '{':
            return flow(p);
        case '|':
        case '>':
            return block_scalar(parent_indent, p);
        case '-':
            if (blank(p + 1)) return false;
            return plain(p);
        default:
            if (is_indicator(in_[p])) return false;
            return plain(p);
    }
}

// Is there a simple key at p, `key:` followed by a space or the line's end?
// `after` is then just past the colon; with `emit`, the key is built.
SubsetParser::KeyKind SubsetParser::key(std::size_t p, std::size_t& after, bool emit) {
    if (in_[p] == '"' || in_[p] == '\'') {
        std::string_view text;
        std::size_t end = 0;
        Mark at = mark(p);
        if (!quoted(p, end, text)) return KeyKind::decline;
        if (in_[end] != ':' || !blank(end + 1)) return KeyKind::not_key;
        if (end - p > kMaxKey) return KeyKind::decline;  // quotes count
        if (emit) scalar(Type::string, at, text);
        after = end + 1;
        return KeyKind::key;
    }
    // A flow collection or block scalar is a value (as a key, libyaml's).
    if (in_[p] == '[' || in_[p] == '{' || in_[p] == '|' || in_[p] == '>') return KeyKind::not_key;
    std::size_t i = p;
    while (in_[i] != '\n' && !(in_[i] == ':' && blank(i + 1)))
        ++i;
    if (in_[i] == '\n') return KeyKind::not_key;
    std::string_view text = in_.substr(p, i - p);
    if (text.empty() || text.size() > kMaxKey || text.back() == ' ') return KeyKind::decline;
    if (!is_alnum(text[0]) && text[0] != '_') return KeyKind::decline;
    for (char c : text) {
        if (!is_key_char(c)) return KeyKind::decline;
    }
    if (emit) plain_scalar(mark(p), text);
    after = i + 1;
    return KeyKind::key;
}

// A quoted scalar that ends on its own line, with no escapes.
bool SubsetParser::quoted(std::size_t p, std::size_t& after, std::string_view& text) {
    const char quote = in_[p];
    std::size_t i = p + 1;
    if (quote == '"') {
        while (in_[i] != '"') {
            if (in_[i] == '\\' || in_[i] == '\n') return false;
            ++i;
        }
        text = in_.substr(p + 1, i - p - 1);
        after = i + 1;
        return true;
    }
    scratch_.clear();
    for (;;) {
        if (in_[i] == '\n') return false;
        if (in_[i] == '\'') {
            if (in_[i + 1] != '\'') break;
            ++i;  // '' is one quote
        }
        scratch_.push_back(in_[i]);
        ++i;
    }
    text = scratch_;
    after = i + 1;
    return true;
}

// A plain scalar that ends on its line.
bool SubsetParser::plain(std::size_t p) {
    std::size_t i = p;
    for (;;) {
        char c = in_[i];
        if (c == '\n' || (c == ' ' && in_[i + 1] == '#')) break;
        if (c == ':' && blank(i + 1)) return false;  // `a: b: c`
        ++i;
    }
    std::size_t end = i;
    while (in_[end - 1] == ' ')
        --end;
    plain_scalar(mark(p), in_.substr(p, end - p));
    return end_line(i);
}

// `[a, b]` or `{ k: v, k2: [x, y] }`, closed on the line it opens.
bool SubsetParser::flow(std::size_t p) {
    if (!flow_collection(p)) return false;
    return end_line(p);
}

// p is left just past the closing bracket.
bool SubsetParser::flow_collection(std::size_t& p) {
    const bool is_map = in_[p] == '{';
    const char close_char = is_map ? '}' : ']';
    if (!open(is_map ? Type::map : Type::seq, mark(p))) return false;
    std::size_t i = p + 1;
    while (in_[i] == ' ')
        ++i;
    if (in_[i] != close_char) {
        for (;;) {
            const std::size_t start = i;
            if (!flow_node(i, is_map)) return false;
            if (is_map) {
                // From the key's start to its colon, spaces included.
                if (in_[i] != ':' || in_[i + 1] != ' ' || i - start > kMaxKey) return false;
                i += 2;
                while (in_[i] == ' ')
                    ++i;
                if (!flow_node(i, false)) return false;
            }
            if (in_[i] == close_char) break;
            if (in_[i] != ',') return false;
            ++i;
            while (in_[i] == ' ')
                ++i;
            if (in_[i] == close_char) return false;  // a trailing comma
        }
    }
    std::uint32_t out = 0;
    if (!close(is_map ? Type::map : Type::seq, out)) return false;
    p = i + 1;
    return true;
}

// A node in a flow collection at p; p is left on what follows it (after
// spaces).
bool SubsetParser::flow_node(std::size_t& p, bool is_key) {
    if (in_[p] == '[' || in_[p] == '{') {
        if (is_key || !flow_collection(p)) return false;
        while (in_[p] == ' ')
            ++p;
        return true;
    }
    if (in_[p] == '"' || in_[p] == '\'') {
        std::size_t after = 0;
        std::string_view text;
        Mark at = mark(p);
        if (!quoted(p, after, text)) return false;
        scalar(Type::string, at, text);
        p = after;
        while (in_[p] == ' ')
            ++p;
        return true;
    }
    if (is_indicator(in_[p]) || in_[p] == ' ' || in_[p] == '\n') return false;
    std::size_t i = p;
    for (;;) {
        char c = in_[i];
        if (c == ',' || c == ']' || c == '}') break;
        if (c == ':') {
            if (is_key && in_[i + 1] == ' ') break;
            return false;
        }
        if (c == '\n' || c == '#' || c == '[' || c == '{' || c == '"' || c == '\'') return false;
        ++i;
    }
    std::size_t end = i;
    while (in_[end - 1] == ' ')
        --end;
    plain_scalar(mark(p), in_.substr(p, end - p));
    p = i;
    return true;
}

// `|` or `>`, perhaps with `-`, then lines more indented than the parent
// collection. Empty lines inside are kept; a folded scalar has no more
// indented lines (they are not folded), and no scalar starts with an empty
// line or has lines of spaces alone (their rules differ).
bool SubsetParser::block_scalar(std::size_t parent_indent, std::size_t p) {
    const bool folded = in_[p] == '>';
    const Mark at = mark(p);
    std::size_t i = p + 1;
    const bool strip = in_[i] == '-';
    if (strip) ++i;
    if (!blank(i)) return false;  // keep (+), an indentation digit, or worse
    while (in_[i] == ' ')
        ++i;
    if (in_[i] != '\n' && in_[i] != '#') return false;  // text after the indicator
    std::size_t line = line_end(i) + 1;
    std::uint32_t number = line_ + 1;
    std::size_t indent = 0;
    std::string& text = scratch_;
    text.clear();
    bool first = true;
    std::size_t empty_lines = 0;  // since the last line of text
    while (line < in_.size()) {
        std::size_t s = line;
        while (in_[s] == ' ')
            ++s;
        if (in_[s] == '\n') {
            if (s != line || first) return false;
            ++empty_lines;
            line = s + 1;
            ++number;
            continue;
        }
        std::size_t spaces = s - line;
        if (first) {
            if (spaces <= parent_indent) return false;  // an empty block scalar
            indent = spaces;
        }
        if (spaces < indent) break;
        if (spaces > indent && folded) return false;
        if (!first) {
            // Folding turns a line break into a space, unless empty lines
            // follow it: then they are the line breaks.
            if (folded && empty_lines == 0) text.push_back(' ');
            if (!folded) text.push_back('\n');
            text.append(empty_lines, '\n');
        }
        std::size_t end = line_end(s);
        text.append(in_.substr(line + indent, end - line - indent));
        first = false;
        empty_lines = 0;
        line = end + 1;
        ++number;
    }
    if (first) return false;
    if (!strip) text.push_back('\n');
    scalar(Type::string, at, text);
    // Empty lines after the text belong to no one (clip and strip drop them).
    line_start_ = line;
    line_ = number;
    seek_content();
    return true;
}

std::optional<Document> SubsetParser::run() {
    if (in_.empty() || in_.back() != '\n') return std::nullopt;
    for (char c : in_) {
        if (!kReadable[static_cast<unsigned char>(c)]) return std::nullopt;
    }
    seek_content();
    if (!eof_ && at_document_marker() && in_[line_start_] == '-') {
        // An explicit start of the one document.
        if (!end_line(line_start_ + 3)) return std::nullopt;
    }
    if (eof_) return std::nullopt;
    // No aliases here, so hardly more nodes than bytes: libyaml's expansion
    // bound (Limits) cannot be reached.
    std::uint32_t root = 0;
    if (!block(root) || !eof_) return std::nullopt;
    return b_.finish(root);
}

}  // namespace

std::optional<Document> parse_block_subset(std::string_view input, const Limits& limits, Builder& builder) {
    auto doc = SubsetParser(input, limits, builder).run();
    if (!doc) builder.reset();
    return doc;
}

}  // namespace ferry::yaml::detail
