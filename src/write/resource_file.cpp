#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <span>

#include "block_yaml.hpp"
#include "ferry/model/field_order.hpp"
#include "ferry/write/files.hpp"
#include "ferry/yaml/yaml.hpp"

namespace ferry {
namespace {

using json = nlohmann::json;

void emit_string(YAML::Emitter& out, const std::string& s) {
    if (detail::fits_literal_block(s) && s.find('\n') != s.size() - 1) {
        out << YAML::Literal << s.substr(0, s.size() - 1);
    } else if (s.find('\n') != std::string::npos || detail::has_other_break(s)) {
        out << YAML::DoubleQuoted << s;
    } else if (yaml::plain_type(s) != yaml::Type::string) {
        out << YAML::DoubleQuoted << s;
    } else {
        out << s;
    }
}

void emit(YAML::Emitter& out, const json& v, std::span<const std::string_view> order, std::string_view parent_key) {
    switch (v.type()) {
        case json::value_t::object: {
            if (v.empty()) {
                out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
                return;
            }
            out << YAML::BeginMap;
            for (const std::string& key : ordered_keys(v, order)) {
                out << YAML::Key;
                emit_string(out, key);
                out << YAML::Value;
                emit(out, v[key], nested_field_order(key), key);
            }
            out << YAML::EndMap;
            return;
        }
        case json::value_t::array: {
            if (v.empty()) {
                out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
                return;
            }
            out << YAML::BeginSeq;
            for (const json& item : v)
                emit(out, item, nested_field_order(parent_key), {});
            out << YAML::EndSeq;
            return;
        }
        case json::value_t::string:
            emit_string(out, v.get<std::string>());
            return;
        case json::value_t::boolean:
            out << v.get<bool>();
            return;
        case json::value_t::number_integer:
            out << v.get<std::int64_t>();
            return;
        case json::value_t::number_unsigned:
            out << v.get<std::uint64_t>();
            return;
        case json::value_t::number_float:
            out << v.dump();
            return;
        default:
            out << YAML::Null;
            return;
    }
}

// The comment line, then `value` in block style; a final newline.
std::string render_document(std::string_view schema, const json& value, std::span<const std::string_view> order) {
    std::string text = schema_comment(schema);
    text.reserve(1024);
    if (!detail::write_block_yaml(value, order, text))
        text = schema_comment(schema) + detail::block_yaml_by_yaml_cpp(value, order);
    if (text.back() != '\n') text += '\n';
    return text;
}

}  // namespace

namespace detail {

std::string block_yaml_by_yaml_cpp(const json& value, std::span<const std::string_view> order) {
    YAML::Emitter out;
    out.SetNullFormat(YAML::LowerNull);
    out.SetIndent(2);
    emit(out, value, order, {});
    // As a C string, as ferry always took it: text after a raw NUL (which
    // only a literal block would hold, and none is given one) is not part
    // of it. A DEL, which yaml-cpp leaves raw in a double-quoted string
    // (the only place one can be), is escaped, or the file would not read back.
    std::string text;
    for (const char* c = out.c_str(); *c; ++c)
        text += *c == '\x7f' ? std::string_view("\\x7f") : std::string_view(c, 1);
    return text;
}

}  // namespace detail

std::string resource_yaml(Kind kind, const json& resource) {
    bool draft = has_drafts(kind) && resource.is_object() && resource.contains("draft");
    return render_document(schema_file(kind, draft), resource, field_order(kind));
}

std::string workspace_yaml(const json& workspace) {
    static constexpr std::array<std::string_view, 6> order = {"name",      "organization", "members",
                                                              "approvals", "extensions",   "alerts"};
    return render_document("workspace.schema.json", workspace, order);
}

}  // namespace ferry
