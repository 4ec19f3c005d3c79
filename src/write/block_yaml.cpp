// ferry's own YAML emitter for the one shape of document it writes (see
// block_yaml.hpp): plain appends to one string, each string looked at once
// to pick its style. What yaml-cpp 0.7.0 does, and so what this does:
//
// - A mapping's keys sit at its indentation (0 at the top, 2 more for each
//   level), `key: value` on one line for a scalar or an empty collection
//   (`{}`, `[]`), `key:` then the nested block on the next lines otherwise;
//   a sequence nested in a mapping is indented under its key. A sequence's
//   items are `- value`; a mapping item starts on the dash's line
//   (`- key: v`), a sequence item on the next (`-` alone on its line).
// - A key written as a literal block, or longer than 1024 bytes, takes the
//   explicit form: `? key`, then `: value` on a line of its own at the
//   key's indentation, a nested block starting on that line.
// - A string is plain when it reads back as the same string (yaml-cpp's
//   rules, which is_plain() copies), else double-quoted, or a literal block
//   when resource_file.cpp's emit_string asks for one. Double-quoted and
//   literal text is read as UTF-8 the way yaml-cpp reads it: a byte that
//   starts no character, a truncated sequence, a surrogate, a value past
//   U+10FFFF or a noncharacter becomes U+FFFD, an overlong form is written
//   as the shortest one.
// - A literal block's lines are indented 2 more than the collection that
//   holds it; empty lines stay empty.
//
// Left to yaml-cpp (write_block_yaml() returns false): a literal block that
// yaml-cpp decodes to hold U+0000, which only an overlong form (not UTF-8,
// so in no document ferry reads) can be now: a NUL itself makes a string
// double-quoted (has_other_break), where yaml-cpp escapes it.
#include "block_yaml.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "ferry/model/field_order.hpp"
#include "ferry/yaml/yaml.hpp"

namespace ferry::detail {
namespace {

using json = nlohmann::json;

enum class Style { plain, double_quoted, literal };

// How a string is written, and the text written (a literal block's
// without its final newline).
struct Form {
    Style style;
    std::string_view text;
};

// Where yaml-cpp's patterns for a plain scalar stop at a token's end: the
// end of the string, a blank or a line break.
bool ends_token(std::string_view s, std::size_t i) {
    if (i >= s.size()) return true;
    char c = s[i];
    return c == ' ' || c == '\t' || c == '\n' || (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n');
}

// Bytes that need a closer look in a plain scalar: controls, ':', ' ', DEL
// and the lead bytes of U+0080..U+009F and of the byte order mark.
constexpr std::array<bool, 256> kPlainSuspect = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 0x20; ++c)
        t[c] = true;
    t[':'] = t[' '] = t[0x7f] = t[0xc2] = t[0xef] = true;
    return t;
}();

// yaml-cpp 0.7.0's IsValidPlainScalar for a block context, in one pass.
bool is_plain(std::string_view s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return false;
    switch (s.front()) {
        case ' ':
        case '\t':
        case '\n':
        case ',':
        case '[':
        case ']':
        case '{':
        case '}':
        case '#':
        case '&':
        case '*':
        case '!':
        case '|':
        case '>':
        case '\'':
        case '"':
        case '%':
        case '@':
        case '`':
            return false;
        case '-':
        case '?':
        case ':':
            if (ends_token(s, 1)) return false;
            break;
        default:
            break;
    }
    if (s.back() == ' ') return false;
    const std::size_t n = s.size();
    const auto byte = [&](std::size_t i) { return i < n ? static_cast<unsigned char>(s[i]) : 0u; };
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (!kPlainSuspect[c]) continue;
        if (c == ':') {
            if (ends_token(s, i + 1)) return false;  // a value indicator
        } else if (c == ' ') {
            if (byte(i + 1) == '#') return false;  // a comment
        } else if (c == '\r') {
            if (byte(i + 1) == '\n') return false;  // a line break; a lone CR passes
        } else if (c < 0x20 || c == 0x7f) {
            return false;  // tab, line feed, and what YAML cannot print
        } else if (c == 0xc2) {
            unsigned next = byte(i + 1);
            if ((next >= 0x80 && next <= 0x84) || (next >= 0x86 && next <= 0x9f)) return false;  // C1 but NEL
        } else if (byte(i + 1) == 0xbb && byte(i + 2) == 0xbf) {
            return false;  // a byte order mark
        }
    }
    return true;
}

// The form emit_string (resource_file.cpp) gives `s`.
Form form_of(std::string_view s) {
    std::size_t newline = s.find('\n');
    if (newline != std::string_view::npos || has_other_break(s)) {
        if (newline != s.size() - 1 && fits_literal_block(s)) return {Style::literal, s.substr(0, s.size() - 1)};
        return {Style::double_quoted, s};
    }
    if (yaml::plain_type(s) != yaml::Type::string || !is_plain(s)) return {Style::double_quoted, s};
    return {Style::plain, s};
}

constexpr int kReplacement = 0xFFFD;

// The next character of `s` from `i`, read as yaml-cpp reads UTF-8
// (GetNextCodePointAndAdvance); `i` moves past what it took.
int next_code_point(std::string_view s, std::size_t& i) {
    const auto lead = static_cast<unsigned char>(s[i]);
    int length = lead < 0x80 ? 1 : lead < 0xc0 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    ++i;
    if (length == 1) return lead;
    if (length == 0) return kReplacement;
    int cp = lead & (0x7f >> length);
    for (int k = 1; k < length; ++k) {
        if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) {
            cp = kReplacement;  // the byte that broke the sequence is read again
            break;
        }
        cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3f);
        ++i;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp & 0xfffe) == 0xfffe || (cp >= 0xfdd0 && cp <= 0xfdef))
        return kReplacement;
    return cp;
}

void append_code_point(std::string& out, int cp) {
    if (cp <= 0x7f) {
        out += static_cast<char>(cp);
    } else if (cp <= 0x7ff) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp <= 0xffff) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// Bytes a double-quoted string copies as they are: printable ASCII but
// the quote and the backslash. DEL is escaped, where yaml-cpp left it raw
// and the file did not read back: the one place the two differ.
constexpr std::array<bool, 256> kQuotedAsIs = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x7f; ++c)
        t[c] = c != '"' && c != '\\';
    return t;
}();

void append_double_quoted(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t run = i;
        while (run < s.size() && kQuotedAsIs[static_cast<unsigned char>(s[run])])
            ++run;
        out.append(s.data() + i, run - i);
        i = run;
        if (i == s.size()) break;
        int cp = next_code_point(s, i);
        switch (cp) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0xa0)) {
                    out += "\\x";
                    out += hex[cp >> 4];
                    out += hex[cp & 0xf];
                } else if (cp == 0xfeff) {
                    out += "\\ufeff";
                } else {
                    append_code_point(out, cp);
                }
        }
    }
    out += '"';
}

class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    bool ok() const { return ok_; }

    void top(const json& v, std::span<const std::string_view> order) {
        if (v.is_object() && !v.empty()) {
            mapping(v, order, 0);
        } else if (v.is_array() && !v.empty()) {
            sequence(v, {}, 0);
        } else {
            scalar(v, 2);
        }
    }

private:
    void indent(std::size_t n) { out_.append(n, ' '); }

    // A non-empty mapping whose keys sit at column `at`; the first key is
    // written where the text stands.
    void mapping(const json& m, std::span<const std::string_view> order, std::size_t at) {
        const auto& object = m.get_ref<const json::object_t&>();
        bool first = true;
        for (std::string_view key : order) {
            auto it = object.find(key);
            if (it == object.end()) continue;
            entry(it->first, it->second, at, first);
            if (!ok_) return;
        }
        for (const auto& [key, value] : object) {
            if (std::ranges::find(order, key) != order.end()) continue;
            entry(key, value, at, first);
            if (!ok_) return;
        }
    }

    void entry(const std::string& key, const json& value, std::size_t at, bool& first) {
        if (!first) {
            out_ += '\n';
            indent(at);
        }
        first = false;
        Form form = form_of(key);
        bool nested = value.is_structured() && !value.empty();
        if (form.style != Style::literal && form.text.size() <= 1024) {
            string(form, at + 2);
            if (!nested) {
                out_ += ": ";
                scalar(value, at + 2);
                return;
            }
            out_ += ":\n";
            indent(at + 2);
        } else {
            out_ += "? ";
            string(form, at + 2);
            out_ += '\n';
            indent(at);
            out_ += ": ";
            if (!nested) {
                scalar(value, at + 2);
                return;
            }
        }
        if (value.is_object()) {
            mapping(value, nested_field_order(key), at + 2);
        } else {
            sequence(value, key, at + 2);
        }
    }

    // A non-empty sequence whose dashes sit at column `at`; the first dash
    // is written where the text stands.
    void sequence(const json& s, std::string_view parent_key, std::size_t at) {
        bool first = true;
        for (const json& item : s) {
            if (!first) {
                out_ += '\n';
                indent(at);
            }
            first = false;
            if (item.is_object() && !item.empty()) {
                out_ += "- ";
                mapping(item, nested_field_order(parent_key), at + 2);
            } else if (item.is_array() && !item.empty()) {
                out_ += "-\n";
                indent(at + 2);
                sequence(item, {}, at + 2);
            } else {
                out_ += "- ";
                scalar(item, at + 2);
            }
            if (!ok_) return;
        }
    }

    // A scalar or an empty collection; a literal block's lines indented by
    // `block_indent`.
    void scalar(const json& v, std::size_t block_indent) {
        switch (v.type()) {
            case json::value_t::object:
                out_ += "{}";
                return;
            case json::value_t::array:
                out_ += "[]";
                return;
            case json::value_t::string:
                string(form_of(v.get_ref<const std::string&>()), block_indent);
                return;
            case json::value_t::boolean:
                out_ += v.get<bool>() ? "true" : "false";
                return;
            case json::value_t::number_integer:
                number(v.get<std::int64_t>());
                return;
            case json::value_t::number_unsigned:
                number(v.get<std::uint64_t>());
                return;
            case json::value_t::number_float: {
                // As resource_file.cpp gives it to yaml-cpp: the text of the
                // number, as any other string without a format asked for.
                std::string text = v.dump();
                string({is_plain(text) ? Style::plain : Style::double_quoted, text}, block_indent);
                return;
            }
            default:
                out_ += "null";
                return;
        }
    }

    template <typename Integer>
    void number(Integer n) {
        char buffer[24];
        auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, n);
        out_.append(buffer, end);
    }

    void string(const Form& form, std::size_t block_indent) {
        switch (form.style) {
            case Style::plain:
                out_ += form.text;
                return;
            case Style::double_quoted:
                append_double_quoted(out_, form.text);
                return;
            case Style::literal:
                literal(form.text, block_indent);
                return;
        }
    }

    void literal(std::string_view s, std::size_t block_indent) {
        out_ += "|\n";
        bool line_start = true;
        std::size_t i = 0;
        while (i < s.size()) {
            std::size_t run = i;
            while (run < s.size() && static_cast<unsigned char>(s[run]) < 0x80 && s[run] != '\n' && s[run] != '\0')
                ++run;
            if (run > i) {
                if (line_start) indent(block_indent);
                line_start = false;
                out_.append(s.data() + i, run - i);
                i = run;
                if (i == s.size()) break;
            }
            int cp = next_code_point(s, i);
            if (cp == '\n') {
                out_ += '\n';
                line_start = true;
                continue;
            }
            if (cp == 0) {
                ok_ = false;  // see the top of this file
                return;
            }
            if (line_start) indent(block_indent);
            line_start = false;
            append_code_point(out_, cp);
        }
    }

    std::string& out_;
    bool ok_ = true;
};

}  // namespace

bool write_block_yaml(const json& value, std::span<const std::string_view> order, std::string& out) {
    const std::size_t size = out.size();
    Writer writer(out);
    writer.top(value, order);
    if (!writer.ok()) out.resize(size);
    return writer.ok();
}

}  // namespace ferry::detail
