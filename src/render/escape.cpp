#include "escape.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace ferry::escape {
namespace {

void hex_byte(std::string& out, unsigned char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    out += buf;
}

void code_point(std::string& out, char32_t cp) {
    char buf[12];
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
    out += buf;
}

// Characters that move, reorder or hide text without being seen.
bool invisible(char32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) ||      // C1 controls
           (cp >= 0x200B && cp <= 0x200F) ||  // zero-width, LRM, RLM
           (cp >= 0x2028 && cp <= 0x202E) ||  // line and paragraph separators, bidi embeddings and overrides
           (cp >= 0x2060 && cp <= 0x2064) ||  // word joiner, invisible operators
           (cp >= 0x2066 && cp <= 0x2069) ||  // bidi isolates
           cp == 0xFEFF;
}

// The length of the UTF-8 sequence at `s`, and its code point; 0 when it
// is not one.
std::size_t decode(std::string_view s, char32_t& cp) {
    const auto c = static_cast<unsigned char>(s[0]);
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || len > s.size()) return 0;
    cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (std::size_t i = 1; i < len; ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

}  // namespace

std::string line(std::string_view text) {
    std::string out = visible(text);
    // GitHub's runner reads `::command::` after leading whitespace, and the
    // older `##[command]` anywhere: one character of each written escaped.
    std::size_t start = out.find_first_not_of(' ');
    if (start != std::string::npos && out.compare(start, 2, "::") == 0) out.replace(start, 1, "\\x3a");
    for (std::size_t at = 0; (at = out.find("##[", at)) != std::string::npos;)
        out.replace(at, 1, "\\x23");
    return out;
}

std::string underscores(std::string_view text) {
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool inside = i > 0 && i + 1 < text.size() && word(text[i - 1]) && word(text[i + 1]);
        if (text[i] == '_' && !inside) out += '\\';
        out += text[i];
    }
    return out;
}

std::string visible(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const auto c = static_cast<unsigned char>(text[0]);
        if (c >= 0x20 && c < 0x7F) {
            out.push_back(static_cast<char>(c));
            text.remove_prefix(1);
            continue;
        }
        if (c < 0x80) {
            if (c == '\n') {
                out += "\\n";
            } else if (c == '\t') {
                out += "\\t";
            } else if (c == '\r') {
                out += "\\r";
            } else {
                hex_byte(out, c);
            }
            text.remove_prefix(1);
            continue;
        }
        char32_t cp = 0;
        const std::size_t len = decode(text, cp);
        if (len == 0) {
            hex_byte(out, c);
            text.remove_prefix(1);
        } else {
            if (invisible(cp)) {
                code_point(out, cp);
            } else {
                out.append(text.substr(0, len));
            }
            text.remove_prefix(len);
        }
    }
    return out;
}

namespace {

bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

// Only what can start markup in the middle of a line is escaped (the text
// never starts a line of its own), so that ids, addresses and emails read
// as they are in the raw comment too: `users-crm`, `alice@acme.com`.
std::string markdown(std::string_view text) {
    static constexpr std::string_view kJoiner = "\u2060";  // breaks @name, #123, links
    const std::string plain = visible(text);
    std::string out;
    out.reserve(plain.size() + plain.size() / 8);
    for (std::size_t i = 0; i < plain.size(); ++i) {
        const char c = plain[i];
        const char before = i > 0 ? plain[i - 1] : ' ';
        const char after = i + 1 < plain.size() ? plain[i + 1] : ' ';
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '@':
                // A mention needs '@' after a non-word character.
                out.push_back(c);
                if (!word_char(before)) out += kJoiner;
                break;
            case '#':
                // #123 and owner/repo#123 link an issue.
                out.push_back(c);
                if (std::isdigit(static_cast<unsigned char>(after))) out += kJoiner;
                break;
            case ':':
                out.push_back(c);
                if (plain.compare(i + 1, 2, "//") == 0) out += kJoiner;  // no autolinked URL
                break;
            case '.':
                if (i >= 3 && plain.compare(i - 3, 3, "www") == 0) out += kJoiner;  // nor www. address
                out.push_back(c);
                break;
            case '_':
                // Inside a word (snake_case) an underscore is no emphasis.
                if (!(word_char(before) && word_char(after))) out.push_back('\\');
                out.push_back(c);
                break;
            case '\\':
            case '`':
            case '*':
            case '[':
            case ']':
            case '~':
                out.push_back('\\');
                out.push_back(c);
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

namespace {

std::size_t longest_backtick_run(std::string_view text) {
    std::size_t longest = 0, run = 0;
    for (char c : text) {
        run = c == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    return longest;
}

}  // namespace

std::string code_span(std::string_view text) {
    const std::string plain = visible(text);
    const std::string ticks(longest_backtick_run(plain) + 1, '`');
    // A span that starts or ends with a backtick needs a space inside its
    // fence; the space is not part of its content.
    const bool pad = plain.empty() || plain.front() == '`' || plain.back() == '`';
    return ticks + (pad ? " " : "") + plain + (pad ? " " : "") + ticks;
}

std::string fence_for(std::string_view body) {
    return std::string(std::max<std::size_t>(3, longest_backtick_run(body) + 1), '`');
}

}  // namespace ferry::escape
