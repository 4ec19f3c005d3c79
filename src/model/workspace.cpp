#include <algorithm>

#include "ferry/model/workspace.hpp"

namespace ferry {

std::span<const Reference> references_of(Kind kind) {
    static constexpr Reference model[] = {{"source", Kind::sources}};
    static constexpr Reference sync[] = {{"model", Kind::models}, {"destination", Kind::destinations}};
    static constexpr Reference audience[] = {{"model", Kind::models}};
    switch (kind) {
        case Kind::models:
            return model;
        case Kind::syncs:
            return sync;
        case Kind::audiences:
            return audience;
        default:
            return {};
    }
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
    const std::size_t h = FlatIndex<Resource*>::hash(id);
    if (Resource* const* known = index_.find(id, h, key_of)) return **known;
    // Ids mostly come in order (a tree lists its files by name): a hint at
    // the end makes adding them constant time.
    Resource& r = map_.try_emplace(map_.end(), std::string(id))->second;
    r.id = id;
    index_.insert(h, &r);
    return r;
}

void ResourceMap::remove(const std::vector<std::string_view>& ids) {
    if (ids.empty()) return;
    for (std::string_view id : ids) {
        if (auto it = map_.find(id); it != map_.end()) map_.erase(it);
    }
    // The index is rebuilt once.
    index_.clear();
    for (auto& [key, r] : map_)
        index_.insert(FlatIndex<Resource*>::hash(key), &r);
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
