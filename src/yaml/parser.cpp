// libyaml events -> ferry::yaml::Document. The only file that sees libyaml.
//
// Everything ambiguous is refused rather than guessed: several documents in
// one file, non-scalar keys, duplicate keys, tags other than the core ones,
// recursive or unknown aliases. Depth and alias expansion are bounded while
// parsing, from the events alone, so a hostile file is refused before it is
// expanded.
#include <yaml.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>

#include "ferry/yaml/yaml.hpp"
#include "parsers.hpp"

namespace ferry::yaml {
namespace {

struct ParserDeleter {
    void operator()(yaml_parser_t* p) const {
        yaml_parser_delete(p);
        delete p;
    }
};
struct Event {
    yaml_event_t e{};
    ~Event() { yaml_event_delete(&e); }
};

Mark mark_of(const yaml_mark_t& m) {
    return {static_cast<std::uint32_t>(m.line + 1), static_cast<std::uint32_t>(m.column + 1)};
}

std::unexpected<ParseError> syntax(std::string message, Mark mark) {
    return std::unexpected(ParseError{ParseError::Kind::syntax, std::move(message), mark});
}
std::unexpected<ParseError> unsafe(std::string message, Mark mark) {
    return std::unexpected(ParseError{ParseError::Kind::unsafe, std::move(message), mark});
}

bool is_ascii(std::string_view s) {
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, s.data() + i, 8);
        if (word & 0x8080808080808080ull) return false;
    }
    for (; i < s.size(); ++i) {
        if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
    }
    return true;
}

// SPEC 6: files must be UTF-8; anything else is an error at the first bad byte.
std::optional<Mark> first_invalid_utf8(std::string_view s) {
    // Most files are ASCII: eight bytes at a time, and no marks to count.
    if (is_ascii(s)) return std::nullopt;
    std::uint32_t line = 1, column = 1;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        unsigned char c = *p;
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            len = 1;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return Mark{line, column};
        }
        if (static_cast<std::size_t>(end - p) < len) return Mark{line, column};
        for (std::size_t i = 1; i < len; ++i) {
            if ((p[i] & 0xC0) != 0x80) return Mark{line, column};
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return Mark{line, column};
        }
        if (c == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
        p += len;
    }
    return std::nullopt;
}

bool is_digits(std::string_view s, std::string_view allowed) {
    return !s.empty() && s.find_first_not_of(allowed) == std::string_view::npos;
}

bool is_decimal_integer(std::string_view s) {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    return is_digits(s, "0123456789");
}

bool is_float(std::string_view s) {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    std::size_t i = 0, digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
        ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        std::size_t exp = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            ++i;
        if (i == exp) return false;
    }
    return i == s.size();
}

// YAML 1.2 core schema, for plain scalars. Hex and octal integers are
// rewritten in decimal so that every consumer sees one spelling.
Type resolve_plain(std::string_view s, std::string& canonical) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Type::null;
    if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
        return Type::boolean;
    }
    if (is_decimal_integer(s)) return Type::integer;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        bool hex = s[1] == 'x';
        std::string_view digits = s.substr(2);
        if (is_digits(digits, hex ? "0123456789abcdefABCDEF" : "01234567") && digits.size() <= (hex ? 15 : 20)) {
            canonical = std::to_string(std::stoull(std::string(digits), nullptr, hex ? 16 : 8));
            return Type::integer;
        }
    }
    if (is_float(s)) return Type::number;
    return Type::string;
}

constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

// What a tag says of its node: a type it forces (str, map, seq), or one the
// scalar must resolve to (int, float, bool, null: `!!int abc` is an error,
// not a string).
struct Tagged {
    Type type;
    bool forces;  // else: must resolve to `type`
    std::string_view name;
};

// The tag, if any, must be one of the core schema's.
std::expected<std::optional<Tagged>, std::string> tag_type(const yaml_char_t* tag) {
    if (!tag) return std::nullopt;
    std::string_view t(reinterpret_cast<const char*>(tag));
    if (t == "!") return Tagged{Type::string, true, "!"};
    if (t.starts_with(kCoreTagPrefix)) {
        std::string_view name = t.substr(kCoreTagPrefix.size());
        if (name == "str") return Tagged{Type::string, true, name};
        if (name == "map") return Tagged{Type::map, true, name};
        if (name == "seq") return Tagged{Type::seq, true, name};
        if (name == "int") return Tagged{Type::integer, false, name};
        if (name == "float") return Tagged{Type::number, false, name};
        if (name == "bool") return Tagged{Type::boolean, false, name};
        if (name == "null") return Tagged{Type::null, false, name};
    }
    return std::unexpected("unsupported tag '" + std::string(t) + "'");
}

// Where byte `offset` of `input` is, counting columns in characters.
Mark mark_at(std::string_view input, std::size_t offset) {
    Mark m{1, 1};
    for (std::size_t i = 0; i < offset && i < input.size(); ++i) {
        const auto c = static_cast<unsigned char>(input[i]);
        if (c == '\n') {
            ++m.line;
            m.column = 1;
        } else if ((c & 0xC0) != 0x80) {
            ++m.column;
        }
    }
    return m;
}

class EventParser {
public:
    // `builder` is empty, and left empty.
    EventParser(std::string_view input, const Limits& limits, Builder& builder)
        : input_(input),
          limits_(limits),
          max_expanded_(limits.max_expanded_nodes_base + limits.max_expanded_nodes_per_byte * input.size()),
          builder_(builder) {
        costs_.reserve(input.size() / 8 + 16);  // about a node per 8 bytes of YAML
    }
    ~EventParser() { builder_.reset(); }

    std::expected<Document, ParseError> run(yaml_parser_t& parser);

private:
    struct Cost {
        std::uint64_t expanded = 1;  // nodes a full walk visits, aliases expanded
        std::uint32_t height = 0;    // container levels below and including this node
    };
    struct Open {
        Type type;
        std::string anchor;
        std::size_t first_child;  // in children_seen_
        Cost cost{1, 1};
    };

    std::expected<void, ParseError> place(std::uint32_t index, Mark mark);
    std::expected<std::uint32_t, ParseError> on_scalar(const yaml_event_t& e);
    std::expected<void, ParseError> on_open(const yaml_event_t& e, Type type);
    std::expected<std::uint32_t, ParseError> on_close();
    std::expected<std::uint32_t, ParseError> on_alias(const yaml_event_t& e);
    bool expects_key() const {
        return !open_.empty() && open_.back().type == Type::map && (children_seen_ - open_.back().first_child) % 2 == 0;
    }
    void set_cost(std::uint32_t index, Cost cost) {
        if (costs_.size() <= index) costs_.resize(index + 1);
        costs_[index] = cost;
    }

    std::string_view input_;
    const Limits& limits_;
    std::uint64_t max_expanded_;
    Builder& builder_;
    std::vector<Cost> costs_;
    std::vector<Open> open_;
    std::size_t children_seen_ = 0;
    std::unordered_map<std::string, std::uint32_t> anchors_;
    std::optional<std::uint32_t> root_;
};

// Puts a finished node in its parent (or makes it the root) and accounts for
// what walking it costs, so that depth and alias limits hold for the tree as
// any consumer will see it.
std::expected<void, ParseError> EventParser::place(std::uint32_t index, Mark mark) {
    const Cost cost = costs_[index];
    if (open_.empty()) {
        root_ = index;
        return {};
    }
    Open& parent = open_.back();
    builder_.add(index);
    ++children_seen_;
    parent.cost.expanded = std::min<std::uint64_t>(parent.cost.expanded + cost.expanded, max_expanded_ + 1);
    parent.cost.height = std::max<std::uint32_t>(parent.cost.height, cost.height + 1);
    if (parent.cost.expanded > max_expanded_) {
        return unsafe("aliases expand to more than " + std::to_string(max_expanded_) + " nodes", mark);
    }
    if (open_.size() - 1 + parent.cost.height > limits_.max_depth) {
        return unsafe("nesting deeper than " + std::to_string(limits_.max_depth) + " levels", mark);
    }
    return {};
}

std::expected<std::uint32_t, ParseError> EventParser::on_scalar(const yaml_event_t& e) {
    Mark mark = mark_of(e.start_mark);
    auto forced = tag_type(e.data.scalar.tag);
    if (!forced) return syntax(forced.error(), mark);
    std::string_view text(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
    Type type = Type::string;
    std::string canonical;
    if (*forced && (*forced)->forces) {
        if ((*forced)->type != Type::string) return syntax("a scalar cannot be tagged as a collection", mark);
    } else if (*forced) {
        // Tagged int, float, bool or null: the text must read as one,
        // quoted or not (a float may be written as an integer).
        type = resolve_plain(text, canonical);
        const Type want = (*forced)->type;
        if (type != want && !(want == Type::number && type == Type::integer)) {
            const std::string_view article = (*forced)->name == "int" ? "an " : "a ";
            return syntax("'" + std::string(text.substr(0, 40)) + "' is not " + std::string(article) +
                              std::string((*forced)->name) + ", as its tag !!" + std::string((*forced)->name) + " says",
                          mark);
        }
    } else if (e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        type = resolve_plain(text, canonical);
    }
    auto index = builder_.scalar(type, mark, canonical.empty() ? text : std::string_view(canonical));
    set_cost(index, {1, 0});
    if (e.data.scalar.anchor) anchors_[reinterpret_cast<const char*>(e.data.scalar.anchor)] = index;
    return index;
}

std::expected<void, ParseError> EventParser::on_open(const yaml_event_t& e, Type type) {
    Mark mark = mark_of(e.start_mark);
    bool is_map = type == Type::map;
    auto forced = tag_type(is_map ? e.data.mapping_start.tag : e.data.sequence_start.tag);
    if (!forced) return syntax(forced.error(), mark);
    if (*forced && (*forced)->type != type) return syntax("a collection is tagged with another type", mark);
    if (expects_key()) return syntax("mapping keys must be scalars", mark);
    if (open_.size() + 1 > limits_.max_depth) {
        return unsafe("nesting deeper than " + std::to_string(limits_.max_depth) + " levels", mark);
    }
    const yaml_char_t* anchor = is_map ? e.data.mapping_start.anchor : e.data.sequence_start.anchor;
    builder_.open(type, mark);
    open_.push_back({type, anchor ? reinterpret_cast<const char*>(anchor) : "", children_seen_});
    return {};
}

std::expected<std::uint32_t, ParseError> EventParser::on_close() {
    if (open_.back().type == Type::map) {
        if (auto dup = builder_.duplicate_key()) {
            return syntax("duplicate key '" + std::string(builder_.text(*dup)) + "'", builder_.mark(*dup));
        }
    }
    Open done = std::move(open_.back());
    open_.pop_back();
    children_seen_ = done.first_child;
    auto index = builder_.close();
    set_cost(index, done.cost);
    // Registered only once complete: an alias inside its own anchor is refused.
    if (!done.anchor.empty()) anchors_[done.anchor] = index;
    return index;
}

std::expected<std::uint32_t, ParseError> EventParser::on_alias(const yaml_event_t& e) {
    Mark mark = mark_of(e.start_mark);
    std::string name(reinterpret_cast<const char*>(e.data.alias.anchor));
    auto it = anchors_.find(name);
    if (it == anchors_.end()) {
        for (const Open& o : open_) {
            if (o.anchor == name) return syntax("alias '*" + name + "' refers to a node that contains it", mark);
        }
        return syntax("unknown alias '*" + name + "'", mark);
    }
    if (expects_key() && costs_[it->second].height != 0) return syntax("mapping keys must be scalars", mark);
    return it->second;
}

std::expected<Document, ParseError> EventParser::run(yaml_parser_t& parser) {
    bool document_seen = false;
    for (;;) {
        Event ev;
        if (!yaml_parser_parse(&parser, &ev.e)) {
            std::string message = parser.problem ? parser.problem : "invalid YAML";
            if (parser.context) message = std::string(parser.context) + ": " + message;
            // The reader (a control character, a NUL) says where by offset only.
            if (parser.error == YAML_READER_ERROR) return syntax(message, mark_at(input_, parser.problem_offset));
            return syntax(message, mark_of(parser.problem_mark));
        }
        const yaml_event_t& e = ev.e;
        Mark mark = mark_of(e.start_mark);
        std::expected<std::uint32_t, ParseError> node = std::unexpected(ParseError{});
        switch (e.type) {
            case YAML_STREAM_END_EVENT: {
                if (!root_) {
                    auto index = builder_.scalar(Type::null, {1, 1}, "");
                    return builder_.finish(index);
                }
                return builder_.finish(*root_);
            }
            case YAML_DOCUMENT_START_EVENT:
                if (document_seen) return syntax("a file holds one YAML document; found a second one", mark);
                document_seen = true;
                continue;
            case YAML_MAPPING_START_EVENT:
            case YAML_SEQUENCE_START_EVENT:
                if (auto opened = on_open(e, e.type == YAML_MAPPING_START_EVENT ? Type::map : Type::seq); !opened) {
                    return std::unexpected(opened.error());
                }
                continue;
            case YAML_MAPPING_END_EVENT:
            case YAML_SEQUENCE_END_EVENT:
                node = on_close();
                break;
            case YAML_SCALAR_EVENT:
                node = on_scalar(e);
                break;
            case YAML_ALIAS_EVENT:
                node = on_alias(e);
                break;
            default:
                continue;
        }
        if (!node) return std::unexpected(node.error());
        if (auto placed = place(*node, mark); !placed) return std::unexpected(placed.error());
    }
}

}  // namespace

Type plain_type(std::string_view text) {
    std::string canonical;
    return resolve_plain(text, canonical);
}

namespace detail {

Type resolve_plain_scalar(std::string_view text, std::string& canonical) {
    return resolve_plain(text, canonical);
}

std::expected<Document, ParseError> parse_full(std::string_view input, const Limits& limits, Builder& builder) {
    std::unique_ptr<yaml_parser_t, ParserDeleter> parser(new yaml_parser_t);
    if (!yaml_parser_initialize(parser.get())) {
        delete parser.release();
        return syntax("out of memory", {});
    }
    yaml_parser_set_encoding(parser.get(), YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(parser.get(), reinterpret_cast<const unsigned char*>(input.data()), input.size());
    return EventParser(input, limits, builder).run(*parser);
}

}  // namespace detail

std::expected<Document, ParseError> parse(std::string_view input, const Limits& limits) {
    if (auto bad = first_invalid_utf8(input)) return syntax("invalid UTF-8", *bad);
    // A byte-order mark is legal UTF-8 and invisible in editors: columns are
    // counted as if it were not there.
    if (input.starts_with("\xEF\xBB\xBF")) input.remove_prefix(3);
    // One builder per thread: a load parses thousands of files on each.
    thread_local Builder builder;
    if (auto doc = detail::parse_block_subset(input, limits, builder)) return std::move(*doc);
    return detail::parse_full(input, limits, builder);
}

}  // namespace ferry::yaml
