#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "ferry/write.hpp"
#include "write/emit.hpp"

namespace ferry {

std::string render_links_file(const std::vector<LinkEntry>& entries) {
    if (entries.empty()) return {};
    // kind -> local id -> other workspace -> other id, all ordered.
    std::map<Kind, std::map<std::string, std::map<std::string, std::string>>> tree;
    for (const LinkEntry& e : entries)
        tree[e.kind][e.local_id][e.other_workspace] = e.other_id;

    YAML::Emitter out;
    out << YAML::BeginMap;
    for (const auto& [kind, ids] : tree) {
        out << YAML::Key << std::string(kind_name(kind)) << YAML::Value << YAML::BeginMap;
        for (const auto& [id, others] : ids) {
            out << YAML::Key;
            emit_string(out, id);
            out << YAML::Value << YAML::Flow << YAML::BeginMap;
            for (const auto& [workspace, other_id] : others) {
                out << YAML::Key;
                emit_string(out, workspace);
                out << YAML::Value;
                emit_string(out, other_id);
            }
            out << YAML::EndMap;
        }
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace ferry
