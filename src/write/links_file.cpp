#include <map>

#include "ferry/write/files.hpp"
#include "ferry/yaml/yaml.hpp"

namespace ferry {
namespace {

// Ids and workspace names are plain words; one that a reader would take
// for a number or a boolean (`123`, `true`) is quoted to stay a string.
void append_scalar(std::string& out, const std::string& text) {
    if (yaml::plain_type(text) == yaml::Type::string) {
        out += text;
    } else {
        out += '"';
        out += text;
        out += '"';
    }
}

}  // namespace

// Written by hand rather than through an emitter: the format is one fixed
// shape, the style the SPEC shows (`id: { dev: x, prod: y }`), and it must
// stay fast at 100,000 links.
std::string links_yaml(const std::vector<LinkEntry>& entries) {
    std::map<Kind, std::map<std::string, std::map<std::string, std::string>>> tree;
    for (const LinkEntry& e : entries)
        tree[e.kind][e.local_id][e.other_workspace] = e.other_id;
    if (tree.empty()) return {};
    std::string out = schema_comment("links.schema.json");
    for (const auto& [kind, ids] : tree) {
        out += kind_name(kind);
        out += ":\n";
        for (const auto& [id, others] : ids) {
            out += "  ";
            append_scalar(out, id);
            out += ": {";
            bool first = true;
            for (const auto& [workspace, other_id] : others) {
                out += first ? " " : ", ";
                first = false;
                append_scalar(out, workspace);
                out += ": ";
                append_scalar(out, other_id);
            }
            out += " }\n";
        }
    }
    return out;
}

}  // namespace ferry
