// The workspace model: plain data, no I/O. A workspace holds what its files
// say (members, approvals, extensions, alerts, links) and its resources,
// each with the facts read from its file and where that file is, so that
// every diagnostic can name its file, line and column.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ferry/model/facts.hpp"
#include "ferry/util/flat_index.hpp"
#include "ferry/yaml/yaml.hpp"

namespace ferry {

// SPEC 1: the five kinds, also the folder names and address parts.
enum class Kind { sources, destinations, models, syncs, audiences };
inline constexpr std::array<Kind, 5> kAllKinds = {Kind::sources, Kind::destinations, Kind::models, Kind::syncs,
                                                  Kind::audiences};
std::string_view kind_name(Kind kind);
std::optional<Kind> parse_kind(std::string_view name);
// Drafts exist for models and syncs only (SPEC 2.2).
inline bool has_drafts(Kind kind) {
    return kind == Kind::models || kind == Kind::syncs;
}
// SPEC 1: sources and destinations are linked explicitly, models and syncs by deploying.
inline bool is_linkable(Kind kind) {
    return kind != Kind::audiences;
}

// SPEC 2.2: ^[a-z0-9][a-z0-9_-]{0,63}$
bool is_valid_id(std::string_view id);

// WORKSPACE[@REF]:KIND/ID
struct Address {
    std::string workspace;
    std::string ref;  // empty: the workspace's branch
    Kind kind = Kind::models;
    std::string id;

    std::string str() const;  // without the ref
};
std::optional<Address> parse_address(std::string_view text);
std::string address(std::string_view workspace, Kind kind, std::string_view id);

// SPEC 2.4: the extension a model's type or a sync's schedule needs, if any.
std::string_view required_extension_of_model(std::string_view type);

// SPEC 2.4: a field that names another resource of the same workspace
// (a model's `source`, a sync's `model` and `destination`, an audience's
// `model`).
struct Reference {
    std::string_view field;
    Kind target;
};
std::span<const Reference> references_of(Kind kind);
std::string_view required_extension_of_schedule(std::string_view schedule_type);

// A resource lives where its workspace put it, and holds what checks and
// plans read without its document: its facts (facts.hpp). Its document is
// read again, when a plan or a diagnostic needs it, through the
// DocumentSource of the load that found it (documents.hpp).
struct Resource {
    Kind kind = Kind::models;
    std::string id;
    std::string file;  // path inside the repository
    bool is_draft = false;
    std::uint32_t entry = 0;  // its file among its tree's entries
    ResourceFacts facts;

    // One of the top-level string fields the facts keep (type, source,
    // model, destination), or empty.
    std::string_view field(std::string_view name) const { return facts.field(name).value_or(std::string_view{}); }
};

enum class Level { none, view, draft, edit };
std::optional<Level> parse_level(std::string_view name);

struct Grant {
    bool admin = false;
    std::array<Level, 5> levels{};  // indexed by Kind
};

// Resources of one kind: listed in id order, so that every listing is
// stable, and found by id through a hash index (a plan looks each resource
// up several times, and an ordered map's lookups were a third of a plan).
class ResourceMap {
public:
    using Map = std::map<std::string, Resource, std::less<>>;

    ResourceMap() = default;
    ResourceMap(const ResourceMap&) = delete;
    ResourceMap& operator=(const ResourceMap&) = delete;
    ResourceMap(ResourceMap&&) noexcept = default;
    ResourceMap& operator=(ResourceMap&&) noexcept = default;

    Map::const_iterator begin() const { return map_.begin(); }
    Map::const_iterator end() const { return map_.end(); }
    std::size_t size() const { return map_.size(); }
    bool empty() const { return map_.empty(); }

    const Resource* find(std::string_view id) const {
        const Resource* const* found = index_.find(id, key_of);
        return found ? *found : nullptr;
    }
    // The resource of this id, added (with only its id set) if new.
    Resource& add(std::string_view id);
    // Removes these ids, in one pass however many.
    void remove(const std::vector<std::string_view>& ids);

private:
    static std::string_view key_of(const Resource* r) { return r->id; }

    // A map's nodes stay where they are when it moves: so does the index.
    Map map_;
    FlatIndex<Resource*> index_;
};

// SPEC 2.5: KIND -> local id -> { other workspace -> its id }, as one file says it.
struct LinkEntry {
    Kind kind;
    std::string local_id;
    std::string other_workspace;
    std::string other_id;
    yaml::Mark mark;
};

struct Workspace {
    std::string name;          // the name in ferry.yaml
    std::string display_name;  // `name:` in workspace.yaml
    std::string organization;
    std::string root;  // folder inside the repository ("" for the root)
    std::string commit;
    std::string ref;
    std::unordered_map<std::string, Grant> members;  // email or "*"
    std::array<bool, 5> approvals{};
    std::vector<std::string> extensions;
    std::vector<std::string> alerts;
    std::array<ResourceMap, 5> resources;
    std::array<ResourceMap, 5> drafts;
    std::vector<LinkEntry> links;
    std::string links_file;

    const ResourceMap& of(Kind kind) const { return resources[static_cast<std::size_t>(kind)]; }
    const ResourceMap& drafts_of(Kind kind) const { return drafts[static_cast<std::size_t>(kind)]; }
    const Resource* find(Kind kind, std::string_view id) const;
    const Resource* find_draft(Kind kind, std::string_view id) const;
    bool exists(Kind kind, std::string_view id) const { return find(kind, id) || find_draft(kind, id); }
    bool has_extension(std::string_view name) const;
    bool has_alert(std::string_view id) const;
    std::string file(std::string_view path_in_tree) const;  // repository path of a tree file
};

}  // namespace ferry
