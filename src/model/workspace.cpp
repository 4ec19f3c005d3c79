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

Resource* ResourceMap::find(std::string_view id, std::size_t h) const {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        const Slot& slot = slots_[i];
        if (slot.hash == 0) return nullptr;
        if (slot.hash == h && slot.resource->id == id) return slot.resource;
    }
}

void ResourceMap::index(Resource* r, std::size_t h) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    while (slots_[i].hash != 0)
        i = (i + 1) & mask;
    slots_[i] = {h, r};
}

void ResourceMap::reindex(std::size_t slots) {
    slots_.assign(slots, Slot{});
    for (auto& [id, r] : map_)
        index(&r, hash(id));
}

Resource& ResourceMap::add(std::string_view id) {
    const std::size_t h = hash(id);
    if (Resource* known = find(id, h)) return *known;
    // Ids mostly come in order (a tree lists its files by name): a hint at
    // the end makes adding them constant time.
    Resource& r = map_.try_emplace(map_.end(), std::string(id))->second;
    r.id = id;
    if (2 * map_.size() > slots_.size()) {
        reindex(std::max<std::size_t>(16, 2 * slots_.size()));
    } else {
        index(&r, h);
    }
    return r;
}

void ResourceMap::remove(std::string_view id) {
    // Only a file that could not be read is removed: the index is rebuilt.
    if (auto it = map_.find(id); it != map_.end()) {
        map_.erase(it);
        reindex(slots_.size());
    }
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
