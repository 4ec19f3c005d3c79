// The workspace model: plain data, no I/O. Values keep the YAML document they
// came from, so every field still knows its file, line and column.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ferry/facts.hpp"
#include "ferry/yaml.hpp"

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
std::string_view required_extension_of_schedule(std::string_view schedule_type);

// A document read when first asked for, once, whichever thread asks.
class LazyDocument {
public:
    using Read = std::function<yaml::Document()>;
    explicit LazyDocument(Read read) : read_(std::move(read)) {}

    // Throws what `read` throws (the blob can no longer be read); the next
    // call tries again.
    const yaml::Document& get() const {
        std::call_once(once_, [this] {
            doc_ = read_();
            read_ = nullptr;
        });
        return doc_;
    }

private:
    mutable Read read_;
    mutable std::once_flag once_;
    mutable yaml::Document doc_;
};

struct Resource {
    Kind kind = Kind::models;
    std::string id;
    std::string file;  // path inside the repository
    bool is_draft = false;
    ResourceFacts facts;  // what checks and plans read without the document
    std::shared_ptr<const LazyDocument> document;

    // The document, parsed again from its blob on first use (see facts.hpp).
    yaml::Node root() const { return document->get().root(); }
    // A top-level string field, or empty.
    std::string_view field(std::string_view name) const;
};

enum class Level { none, view, draft, edit };
std::optional<Level> parse_level(std::string_view name);

struct Grant {
    bool admin = false;
    std::array<Level, 5> levels{};  // indexed by Kind
};

// Resources of one kind, ordered by id so that every listing is stable.
using ResourceMap = std::map<std::string, Resource, std::less<>>;

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
