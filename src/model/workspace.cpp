#include <algorithm>
#include <stdexcept>

#include "ferry/model.hpp"

namespace ferry {

const yaml::Document& Resource::document() const {
    std::call_once(read_once_, [this] {
        if (!reader) throw std::logic_error(file + ": a resource without a reader");
        document_ = reader->read(*this);
    });
    return document_;
}

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

Resource& ResourceMap::add(std::string_view id) {
    // Ids mostly come in order (a tree lists its files by name): a hint at
    // the end makes adding them constant time.
    const std::size_t before = map_.size();
    auto it = map_.try_emplace(map_.end(), std::string(id));
    if (map_.size() > before) {
        it->second.id = id;
        index_.emplace(it->first, &it->second);
    }
    return it->second;
}

void ResourceMap::remove(std::string_view id) {
    index_.erase(id);
    if (auto it = map_.find(id); it != map_.end()) map_.erase(it);
}

const Resource* Workspace::find(Kind kind, std::string_view id) const {
    return of(kind).find(id);
}
const Resource* Workspace::find_draft(Kind kind, std::string_view id) const {
    return drafts_of(kind).find(id);
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
