#include "change_lines.hpp"

#include <algorithm>

#include "escape.hpp"
#include "ferry/model/field_order.hpp"
#include "ferry/render/render.hpp"
#include "ferry/util/line_diff.hpp"
#include "ferry/yaml/yaml.hpp"

namespace ferry {
namespace {

using json = nlohmann::json;

// /config/mappings/0/to -> config.mappings[0].to, as the SPEC writes paths.
std::string dotted(const std::string& pointer) {
    std::string out;
    std::size_t start = 1;
    while (start <= pointer.size()) {
        std::size_t end = pointer.find('/', start);
        if (end == std::string::npos) end = pointer.size();
        std::string token = pointer.substr(start, end - start);
        for (std::size_t at; (at = token.find("~1")) != std::string::npos;)
            token.replace(at, 2, "/");
        for (std::size_t at; (at = token.find("~0")) != std::string::npos;)
            token.replace(at, 2, "~");
        bool index = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
        if (index) {
            out += "[" + token + "]";
        } else {
            out += (out.empty() ? "" : ".") + token;
        }
        start = end + 1;
    }
    return out;
}

// The key of the last step of a pointer (`mappings` of /config/mappings),
// which decides the order of a nested mapping's keys.
std::string last_key(const std::string& pointer) {
    std::size_t slash = pointer.rfind('/');
    std::string key = slash == std::string::npos ? pointer : pointer.substr(slash + 1);
    if (!key.empty() && key.find_first_not_of("0123456789") == std::string::npos) {
        // An item of a list: its order is the list's.
        std::string parent = pointer.substr(0, slash);
        return last_key(parent);
    }
    return key;
}

// As JSON, which is also YAML's double-quoted form: for values on one
// line with an arrow between them, where quotes show where a string ends.
std::string quoted(const json& v) {
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool is_multiline(const json& v) {
    return v.is_string() && v.get_ref<const std::string&>().find('\n') != std::string::npos;
}

// A string as a YAML plain scalar when it reads back as the same string,
// else double-quoted: the way ferry writes files.
std::string scalar(const json& v) {
    if (!v.is_string()) return quoted(v);
    const std::string& s = v.get_ref<const std::string&>();
    constexpr std::string_view indicators = "-?:,[]{}#&*!|>'\"%@`";
    bool plain = !s.empty() && s != "=" && s != "<<" && indicators.find(s.front()) == std::string_view::npos &&
                 s.front() != ' ' && s.back() != ' ' && s.find(": ") == std::string::npos &&
                 s.find(" #") == std::string::npos && s.back() != ':' && yaml::plain_type(s) == yaml::Type::string &&
                 std::ranges::all_of(s, [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; }) &&
                 escape::visible(s) == s;  // no character shown escaped (a bidi mark, U+2028)
    return plain ? s : quoted(v);
}

// Text a literal block holds exactly: no carriage return or tab to lose,
// and not starting with an empty line.
bool fits_block(const std::string& s) {
    return s.front() != '\n' && s.find_first_of("\r\t") == std::string::npos;
}

std::string indent(std::size_t n) {
    return std::string(n, ' ');
}

void block(const json& v, std::string_view key_for_order, std::size_t depth, std::vector<std::string>& out);

// `head` (a key with its colon, or a list's dash) followed by `v`: on the
// same line when `v` is a scalar or empty, else as a nested block.
void entry(const std::string& head, const json& v, std::string_view key_for_order, std::size_t depth,
           std::vector<std::string>& out) {
    if (is_multiline(v) && fits_block(v.get_ref<const std::string&>())) {
        // A literal block that reads back as this very string: `|-` without
        // a final newline, `|+` with more than one, an indentation
        // indicator when the first line starts with a space.
        const std::string& s = v.get_ref<const std::string&>();
        const char* chomp = s.ends_with("\n\n") ? "+" : s.ends_with('\n') ? "" : "-";
        out.push_back(indent(depth) + head + " |" + (s.front() == ' ' ? "2" : "") + chomp);
        for (std::string_view line : split_lines(s).lines)
            out.push_back(line.empty() ? std::string() : indent(depth + 2) + std::string(line));
    } else if (v.is_structured() && !v.empty()) {
        out.push_back(indent(depth) + head);
        block(v, key_for_order, depth + 2, out);
    } else {
        out.push_back(indent(depth) + head + " " + (v.is_object() ? "{}" : v.is_array() ? "[]" : scalar(v)));
    }
}

// `v` in block style, each line indented by `depth`.
void block(const json& v, std::string_view key_for_order, std::size_t depth, std::vector<std::string>& out) {
    if (v.is_object()) {
        for (const std::string& key : ordered_keys(v, nested_field_order(key_for_order)))
            entry(scalar(key) + ":", v[key], key, depth, out);
        return;
    }
    // A list: each item's lines, the first one's indentation replaced by
    // its dash, as `- from: a` / `  to: b`.
    for (const json& item : v) {
        std::size_t first = out.size();
        if (item.is_structured() && !item.empty()) {
            block(item, key_for_order, depth + 2, out);
        } else {
            entry("-", item, key_for_order, depth, out);
            continue;
        }
        out[first].replace(depth, 2, "- ");
    }
}

// A whole value under `name`, every line with `sign`.
void value_lines(char sign, const std::string& name, const json& v, std::string_view key_for_order,
                 std::vector<DiffLine>& out) {
    if (is_multiline(v)) {
        // The value's own lines, each an added or removed line of a diff.
        out.push_back({sign, name + ":"});
        for (std::string_view line : split_lines(v.get_ref<const std::string&>()).lines)
            out.push_back({sign, std::string(line)});
        return;
    }
    std::vector<std::string> lines;
    entry(name + ":", v, key_for_order, 0, lines);
    for (std::string& line : lines)
        out.push_back({sign, std::move(line)});
}

// Two strings of which one spans lines: their line diff, with 3 lines of
// context and the position of each hunk when not all is shown.
void text_diff(const std::string& name, const std::string& before, const std::string& after,
               std::vector<DiffLine>& out) {
    out.push_back({' ', name + ":"});
    Lines a = split_lines(before), b = split_lines(after);
    std::vector<LineEdit> edits = diff_lines(a.lines, b.lines);
    std::vector<Hunk> found = hunks(edits);
    const bool whole =
        found.size() == 1 && found[0].before_count == a.lines.size() && found[0].after_count == b.lines.size();
    for (const Hunk& h : found) {
        if (!whole) {
            auto range = [](std::size_t start, std::size_t count) {
                return std::to_string(count ? start + 1 : start) + "," + std::to_string(count);
            };
            out.push_back({'@', "@@ -" + range(h.before_start, h.before_count) + " +" +
                                    range(h.after_start, h.after_count) + " @@"});
        }
        for (const LineEdit& e : h.edits) {
            switch (e.op) {
                case LineEdit::Op::keep:
                    out.push_back({' ', std::string(a.lines[e.before])});
                    break;
                case LineEdit::Op::remove:
                    out.push_back({'-', std::string(a.lines[e.before])});
                    break;
                case LineEdit::Op::add:
                    out.push_back({'+', std::string(b.lines[e.after])});
                    break;
            }
        }
    }
    if (found.empty() && a.ends_with_newline != b.ends_with_newline) {
        // The lines are the same; only the value's last newline differs
        // (said only then: a query grown from one line to a block of
        // several gains one as a matter of YAML style).
        out.push_back({a.ends_with_newline ? '-' : '+', "(a newline at the end)"});
    }
}

void op_lines(const DiffOp& op, std::vector<DiffLine>& out) {
    const std::string name = dotted(op.path);
    const std::string order = last_key(op.path);
    switch (op.op) {
        case DiffOp::Op::add:
            value_lines('+', name, op.after, order, out);
            return;
        case DiffOp::Op::remove:
            value_lines('-', name, op.before, order, out);
            return;
        case DiffOp::Op::replace:
            break;
    }
    if ((is_multiline(op.before) || is_multiline(op.after)) && op.before.is_string() && op.after.is_string()) {
        text_diff(name, op.before.get_ref<const std::string&>(), op.after.get_ref<const std::string&>(), out);
    } else if (op.before.is_structured() || op.after.is_structured() || is_multiline(op.before) ||
               is_multiline(op.after)) {
        value_lines('-', name, op.before, order, out);
        value_lines('+', name, op.after, order, out);
    } else {
        out.push_back({' ', name + ": " + quoted(op.before) + " -> " + quoted(op.after)});
    }
}

// Every field of a whole resource, in its file's order.
void whole_lines(char sign, Kind kind, const json& resource, std::vector<DiffLine>& out) {
    if (!resource.is_object()) return;
    for (const std::string& key : ordered_keys(resource, field_order(kind)))
        value_lines(sign, key, resource[key], key, out);
}

}  // namespace

std::vector<DiffLine> resource_lines(Kind kind, const json& before, const json& after) {
    std::vector<DiffLine> out;
    if (before.is_null()) {
        whole_lines('+', kind, after, out);
    } else if (after.is_null()) {
        whole_lines('-', kind, before, out);
    } else {
        for (const DiffOp& op : diff_values(before, after))
            op_lines(op, out);
    }
    return out;
}

std::vector<DiffLine> change_lines(const Change& change) {
    std::vector<DiffLine> out;
    if (change.action == Action::create) {
        whole_lines('+', change.kind, change.after, out);
    } else {
        for (const DiffOp& op : diff_of(change))
            op_lines(op, out);
    }
    return out;
}

std::vector<DiffLine> text_lines(const std::string& name, const std::string& before, const std::string& after) {
    std::vector<DiffLine> out;
    text_diff(name, before, after, out);
    return out;
}

std::string joined(const DiffLine& line) {
    if (line.sign == '@') return line.text;
    return std::string(1, line.sign) + " " + line.text;
}

namespace {

std::vector<std::string> all_joined(const std::vector<DiffLine>& lines) {
    std::vector<std::string> out;
    out.reserve(lines.size());
    for (const DiffLine& line : lines)
        out.push_back(joined(line));
    return out;
}

}  // namespace

std::vector<std::string> resource_patch(Kind kind, const json& before, const json& after) {
    return all_joined(resource_lines(kind, before, after));
}

std::vector<std::string> text_patch(const std::string& file, const std::string& before, const std::string& after) {
    return all_joined(text_lines(file, before, after));
}

}  // namespace ferry
