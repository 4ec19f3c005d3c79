#include <algorithm>

#include "ferry/model.hpp"

namespace ferry {

std::string_view Resource::field(std::string_view name) const {
    if (auto known = facts.field(name)) return *known;
    yaml::Node n = root().get(name);
    return n && n.is_string() ? n.text() : std::string_view{};
}

std::string_view required_extension_of_model(std::string_view type) {
    return type == "dbt" ? "dbt" : "";
}

std::string_view required_extension_of_schedule(std::string_view schedule_type) {
    if (schedule_type == "dbt-cloud" || schedule_type == "fivetran") return schedule_type;
    return {};
}

std::optional<Level> parse_level(std::string_view name) {
    if (name == "none") return Level::none;
    if (name == "view") return Level::view;
    if (name == "draft") return Level::draft;
    if (name == "edit") return Level::edit;
    return std::nullopt;
}

namespace {
const Resource* find_in(const ResourceMap& map, std::string_view id) {
    auto it = map.find(id);
    return it == map.end() ? nullptr : &it->second;
}
}  // namespace

const Resource* Workspace::find(Kind kind, std::string_view id) const {
    return find_in(of(kind), id);
}
const Resource* Workspace::find_draft(Kind kind, std::string_view id) const {
    return find_in(drafts_of(kind), id);
}

bool Workspace::has_extension(std::string_view extension) const {
    return std::ranges::find(extensions, extension) != extensions.end();
}
bool Workspace::has_alert(std::string_view id) const {
    return std::ranges::find(alerts, id) != alerts.end();
}

std::string Workspace::file(std::string_view path_in_tree) const {
    if (root.empty()) return std::string(path_in_tree);
    return root + "/" + std::string(path_in_tree);
}

}  // namespace ferry
