// One pass over a workspace tree: classify its files, read their blobs,
// parse and check them on every core, then assemble the model.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "checks.hpp"
#include "ferry/load/workspace_loader.hpp"
#include "ferry/model/permissions.hpp"
#include "ferry/util/did_you_mean.hpp"
#include "ferry/util/parallel.hpp"

namespace ferry {
namespace {

enum class Role { workspace, links, resource, draft };

// One per file. A resource's task fills in the facts of the resource that
// plan_tasks placed in the workspace; its document is dropped once they are
// known.
struct FileTask {
    const TreeEntry* entry;
    Role role;
    Kind kind = Kind::models;
    std::string_view id;
    Resource* resource = nullptr;
    bool loaded = false;  // parsed, or found in the cache
    std::size_t blob_size = 0;
    std::unique_ptr<yaml::Document> doc;  // workspace.yaml and links.yaml: the model reads them whole
    Diagnostics diagnostics;

    bool is_resource() const { return role == Role::resource || role == Role::draft; }
};

// Resources' documents, read again from the tree they were loaded from:
// each at most once, kept in the slot of its tree entry.
class TreeDocuments : public DocumentSource {
public:
    TreeDocuments(std::shared_ptr<const TreeSource> tree, std::string workspace)
        : tree_(std::move(tree)), workspace_(std::move(workspace)), slots_(tree_->entries().size()) {}

    std::expected<yaml::Node, Diagnostic> root(const Resource& r) const override {
        // A resource of another load is refused, not read at some other index.
        if (r.entry >= slots_.size() || !r.file.ends_with(tree_->entries()[r.entry].path)) {
            return std::unexpected(error(code::git,
                                         r.file + " is not a file of the tree " + workspace_ + " was read from",
                                         {r.file, 0, 0}, address(workspace_, r.kind, r.id)));
        }
        Slot& slot = slots_[r.entry];
        std::call_once(slot.once, [&] { slot.read = std::make_unique<Read>(read(r)); });
        if (!*slot.read) return std::unexpected(slot.read->error());
        return (*slot.read)->root();
    }

private:
    using Read = std::expected<yaml::Document, Diagnostic>;
    struct Slot {
        std::once_flag once;
        std::unique_ptr<Read> read;
    };

    Read read(const Resource& r) const {
        const TreeEntry& entry = tree_->entries()[r.entry];
        const std::string addr = address(workspace_, r.kind, r.id);
        // Within limits: this load read it, or the one the cache kept it from.
        auto text = tree_->read(entry, TreeSource::kAnySize);
        if (!text) {
            Diagnostic d =
                error(code::git,
                      r.file + (entry.id.empty() ? "" : " (blob " + entry.id.substr(0, 12) + ")") +
                          " cannot be read again from " + workspace_ + "'s repository: " + text.error().message,
                      {r.file, 0, 0}, addr);
            d.hint =
                "the object is missing (a partial or shallow clone, or a pruned repository): fetch it again, "
                "e.g. git fetch --refetch";
            return std::unexpected(std::move(d));
        }
        auto doc = yaml::parse(*text);
        if (doc) return std::move(*doc);
        // It parsed when it was loaded (or when the cache kept its facts): a
        // cache written by something else, or a blob that is not what its id says.
        Diagnostic d = error(code::yaml_syntax, r.file + " no longer parses: " + doc.error().message,
                             {r.file, doc.error().mark.line, doc.error().mark.column}, addr);
        d.hint = "run git fsck on " + workspace_ + "'s repository, and delete <gitdir>/ferry/cache";
        return std::unexpected(std::move(d));
    }

    std::shared_ptr<const TreeSource> tree_;
    std::string workspace_;
    mutable std::vector<Slot> slots_;
};

std::string_view schema_for(Kind kind) {
    switch (kind) {
        case Kind::sources:
            return "source.schema.json";
        case Kind::destinations:
            return "destination.schema.json";
        case Kind::models:
            return "model.schema.json";
        case Kind::syncs:
            return "sync.schema.json";
        case Kind::audiences:
            return "audience.schema.json";
    }
    return {};
}

// kind/<id>.yaml or drafts/kind/<id>.yaml; nothing else is a resource file.
struct Classified {
    Role role;
    Kind kind;
    std::string_view stem;
    std::string_view extension;
};
std::optional<Classified> classify(std::string_view path) {
    if (path == "workspace.yaml") return Classified{Role::workspace, Kind::models, {}, ".yaml"};
    if (path == "links.yaml") return Classified{Role::links, Kind::models, {}, ".yaml"};
    Role role = Role::resource;
    if (path.starts_with("drafts/")) {
        role = Role::draft;
        path.remove_prefix(7);
    }
    auto slash = path.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto kind = parse_kind(path.substr(0, slash));
    if (!kind || (role == Role::draft && !has_drafts(*kind))) return std::nullopt;
    std::string_view file = path.substr(slash + 1);
    if (file.find('/') != std::string_view::npos) return std::nullopt;
    for (std::string_view ext : {".yaml", ".yml"}) {
        if (file.ends_with(ext)) return Classified{role, *kind, file.substr(0, file.size() - ext.size()), ext};
    }
    return std::nullopt;
}

// SPEC 6: a file inside a workspace's folders that its layout does not
// read (model/x.yaml, models/sub/x.yaml, models/x.YAML, models/x.json) is
// an unknown-file warning, with the path meant where one fits. Top-level
// files (README.md) and hidden ones (.gitkeep, .github/) are fine.
std::optional<Diagnostic> unknown_file(std::string_view path) {
    if (path.find('/') == std::string_view::npos) return std::nullopt;
    for (std::size_t start = 0; start < path.size();) {
        if (path[start] == '.') return std::nullopt;
        const std::size_t slash = path.find('/', start);
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    static const std::vector<std::string> folders = {"sources", "destinations", "models",
                                                     "syncs",   "audiences",    "drafts"};
    static const std::vector<std::string> draft_folders = {"models", "syncs"};
    // The folders it is in, and its name.
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const std::size_t slash = path.find('/', start);
        parts.push_back(path.substr(start, slash == std::string_view::npos ? path.npos : slash - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    const std::string_view name = parts.back();
    const auto dot = name.rfind('.');
    const std::string stem(name.substr(0, dot));
    const std::string extension = dot == std::string_view::npos ? "" : std::string(name.substr(dot));
    std::string lower = extension;
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
    // The path meant: the folders (each as the nearest known one), then
    // `<stem>.yaml`, with nothing nested.
    std::string meant;
    const bool draft =
        parts.size() >= 3 &&
        (parts[0] == "drafts" || did_you_mean(parts[0], std::vector<std::string_view>{"drafts"}) == "drafts");
    std::string kind = draft ? std::string(parts[1]) : std::string(parts[0]);
    const auto& known = draft ? draft_folders : folders;
    if (std::ranges::find(known, kind) == known.end()) kind = did_you_mean(kind, known);
    const bool yaml_like = lower == ".yaml" || lower == ".yml";
    if (!kind.empty() && kind != "drafts" && (yaml_like || lower == ".json")) {
        meant = (draft ? "drafts/" : "") + kind + "/" + stem + (lower == ".yml" ? ".yml" : ".yaml");
    }
    Diagnostic d = warning(code::unknown_file,
                           std::string(path) + " is outside the workspace's layout, and ferry does not read it");
    if (!meant.empty() && meant != path) {
        d.hint = "did you mean " + meant + "?" + (lower == ".json" ? " ferry reads YAML files (.yaml, .yml) only" : "");
    } else {
        d.hint =
            "a workspace reads workspace.yaml, links.yaml, KIND/<id>.yaml and drafts/KIND/<id>.yaml (KIND: "
            "sources, destinations, models, syncs, audiences); other files belong at its top level";
    }
    return d;
}

class Loader {
public:
    Loader(std::shared_ptr<const TreeSource> tree, WorkspaceOrigin origin, const TreeLimits& limits,
           const SchemaSet& schemas, const ParseCache* cache, std::atomic<std::size_t>* files_done)
        : tree_(std::move(tree)), limits_(limits), schemas_(schemas), cache_(cache), files_done_(files_done) {
        ws_.name = std::move(origin.name);
        ws_.root = std::move(origin.root);
        ws_.ref = std::move(origin.ref);
        ws_.commit = std::move(origin.commit);
        ws_.display_name = ws_.name;
        ws_.links_file = ws_.file("links.yaml");
    }

    LoadedWorkspace run();

private:
    void plan_tasks();
    std::string read_blob(FileTask& task) const;
    void parse_and_check(FileTask& task) const;
    void assemble_workspace(const yaml::Node root);
    void assemble_links(const yaml::Node root);
    Location at(const TreeEntry& entry, yaml::Mark mark = {1, 1}) const {
        return {ws_.file(entry.path), mark.line, mark.column};
    }

    std::shared_ptr<const TreeSource> tree_;
    const TreeLimits& limits_;
    const SchemaSet& schemas_;
    const ParseCache* cache_;
    std::atomic<std::size_t>* files_done_;
    Workspace ws_;
    Diagnostics diags_;
    std::vector<FileTask> tasks_;
    bool has_workspace_file_ = false;
};

void Loader::plan_tasks() {
    // Entries come in path order, so x.yaml comes before x.yml: the .yml one
    // is reported and the .yaml one loaded.
    tasks_.reserve(tree_->entries().size());
    for (const TreeEntry& entry : tree_->entries()) {
        if (entry.type != EntryType::blob) {
            std::string message =
                entry.type == EntryType::too_deep
                    ? entry.path.substr(0, entry.path.find('/')) +
                          "/ holds folders nested more than 64 deep; a workspace tree is a few folders deep at most"
                : entry.type == EntryType::symlink
                    ? entry.path + " is a symbolic link; a workspace tree holds plain files only"
                    : entry.path + " is a submodule; a workspace tree holds plain files only";
            const std::string where =
                entry.type == EntryType::too_deep ? entry.path.substr(0, entry.path.find('/')) : entry.path;
            Diagnostic d = error(code::unsafe_tree, std::move(message), {ws_.file(where), 0, 0});
            diags_.add(std::move(d));
            continue;
        }
        auto c = classify(entry.path);
        if (!c) {
            if (auto d = unknown_file(entry.path)) {
                d->location = {ws_.file(entry.path), 0, 0};
                diags_.add(std::move(*d));
            }
            continue;
        }
        if (c->role == Role::workspace || c->role == Role::links) {
            tasks_.push_back({&entry, c->role});
            continue;
        }
        if (!is_valid_id(c->stem)) {
            Diagnostic d = error(code::bad_id,
                                 "'" + std::string(c->stem) +
                                     "' is not a valid id: lowercase letters, digits, '-' and '_', "
                                     "starting with a letter or digit, at most 64 characters",
                                 {ws_.file(entry.path), 0, 0}, address(ws_.name, c->kind, c->stem));
            d.hint = "rename the file";
            diags_.add(std::move(d));
            continue;
        }
        ResourceMap& ids = (c->role == Role::draft ? ws_.drafts : ws_.resources)[static_cast<std::size_t>(c->kind)];
        if (const Resource* first = ids.find(c->stem)) {
            Diagnostic d = error(
                code::duplicate_id,
                "id '" + std::string(c->stem) + "' is defined twice: " + first->file + " and " + ws_.file(entry.path),
                {ws_.file(entry.path), 0, 0}, address(ws_.name, c->kind, c->stem));
            d.hint = "keep one of the two files";
            diags_.add(std::move(d));
            continue;
        }
        // Placed now, filled in by its task, removed again if it cannot be read.
        Resource& r = ids.add(c->stem);
        r.kind = c->kind;
        r.file = ws_.file(entry.path);
        r.is_draft = c->role == Role::draft;
        r.entry = static_cast<std::uint32_t>(&entry - tree_->entries().data());
        tasks_.push_back({&entry, c->role, c->kind, c->stem, &r});
    }
}

std::string Loader::read_blob(FileTask& task) const {
    std::uint64_t max = task.role == Role::links ? limits_.links_bytes : limits_.resource_bytes;
    auto text = tree_->read(*task.entry, max);
    if (text) return std::move(*text);
    if (text.error().too_large) {
        task.diagnostics.add(error(code::unsafe_tree,
                                   task.entry->path + " is " + std::to_string(text.error().size) +
                                       " bytes; the limit is " + std::to_string(max),
                                   at(*task.entry, {0, 0})));
    } else {
        task.diagnostics.add(error(code::git, text.error().message, at(*task.entry, {0, 0})));
    }
    return {};
}

// Each blob is read, parsed and checked by the same worker, and its text
// dropped at once: only a resource's facts stay in memory. A blob the cache
// knows is not read at all, except workspace.yaml and links.yaml, which the
// model needs whole (their checks passed when they were kept).
void Loader::parse_and_check(FileTask& task) const {
    bool checked = false;
    if (cache_) {
        if (auto found = cache_->find(task.entry->path, task.entry->id)) {
            task.blob_size = found->blob_size;
            if (task.is_resource() && found->facts) {
                task.resource->facts = std::move(*found->facts);
                task.loaded = true;
                return;
            }
            checked = !task.is_resource();
        }
    }
    std::string text = read_blob(task);
    if (task.diagnostics.has_errors()) return;
    task.blob_size = text.size();
    const TreeEntry& entry = *task.entry;
    std::string addr = task.is_resource() ? address(ws_.name, task.kind, task.id) : "";
    auto parsed = yaml::parse(text);
    std::string().swap(text);
    if (!parsed) {
        const auto& e = parsed.error();
        bool unsafe = e.kind == yaml::ParseError::Kind::unsafe;
        task.diagnostics.add(error(unsafe ? code::unsafe_tree : code::yaml_syntax, e.message, at(entry, e.mark), addr));
        return;
    }
    task.loaded = true;
    yaml::Node root = parsed->root();
    if (task.is_resource()) task.resource->facts = facts_of(root, has_plaintext_secret(task.kind, root));
    if (!checked) {
        std::string file = ws_.file(entry.path);
        switch (task.role) {
            case Role::workspace:
                schemas_.check("workspace.schema.json", root, file, {}, task.diagnostics);
                break;
            case Role::links:
                schemas_.check("links.schema.json", root, file, {}, task.diagnostics);
                break;
            case Role::resource:
                schemas_.check(schema_for(task.kind), root, file, addr, task.diagnostics);
                break;
            case Role::draft: {
                yaml::Node block = root.get("draft");
                if (!root.is_map() || !block) {
                    task.diagnostics.add(error(code::schema,
                                               "a draft needs a `draft` block (author, created, approval)",
                                               at(entry, root.mark()), addr));
                    break;
                }
                schemas_.check("draft.schema.json", block, file, addr, task.diagnostics);
                schemas_.check(schema_for(task.kind), root, file, addr, task.diagnostics, "draft");
                break;
            }
        }
    }
    if (!task.is_resource()) task.doc = std::make_unique<yaml::Document>(std::move(*parsed));
}

Grant grant_from(yaml::Node value) {
    Grant g;
    if (value.is_string()) {
        std::string_view role = value.text();
        // An unknown role is a schema error, and grants nothing meanwhile.
        Level level = role == "viewer"                      ? Level::view
                      : role == "drafter"                   ? Level::draft
                      : role == "editor" || role == "admin" ? Level::edit
                                                            : Level::none;
        g.levels.fill(level);
        g.admin = role == "admin";
        return g;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
        auto kind = parse_kind(value.key(i).text());
        auto level = parse_level(value.value(i).text());
        if (kind && level) g.levels[static_cast<std::size_t>(*kind)] = *level;
    }
    return g;
}

void Loader::assemble_workspace(const yaml::Node root) {
    if (!root.is_map()) return;
    if (yaml::Node n = root.get("name"); n.is_string()) ws_.display_name = n.text();
    if (yaml::Node n = root.get("organization"); n.is_string()) ws_.organization = n.text();
    yaml::Node members = root.get("members");
    for (std::size_t i = 0; members && i < members.size(); ++i) {
        Grant g = grant_from(members.value(i));
        std::string_view who = members.key(i).text();
        // SPEC 6: `"*"` granting more than view is allowed but worth a look.
        if (who == "*" && std::ranges::any_of(g.levels, [](Level l) { return l > Level::view; })) {
            Diagnostic d =
                warning(code::broad_grant, "\"*\" grants more than view to everyone not listed",
                        {ws_.file("workspace.yaml"), members.key(i).mark().line, members.key(i).mark().column});
            d.hint = "grant roles to named members and keep \"*\" at viewer";
            diags_.add(std::move(d));
        }
        ws_.members[lowercase(who)] = g;
    }
    yaml::Node approvals = root.get("approvals");
    for (std::size_t i = 0; approvals && i < approvals.size(); ++i) {
        if (auto kind = parse_kind(approvals.key(i).text())) {
            ws_.approvals[static_cast<std::size_t>(*kind)] = approvals.value(i).as_bool();
        }
    }
    yaml::Node extensions = root.get("extensions");
    for (std::size_t i = 0; extensions && i < extensions.size(); ++i)
        ws_.extensions.emplace_back(extensions.key(i).text());
    yaml::Node alerts = root.get("alerts");
    for (std::size_t i = 0; alerts && i < alerts.size(); ++i)
        ws_.alerts.emplace_back(alerts.key(i).text());
}

void Loader::assemble_links(const yaml::Node root) {
    if (!root.is_map()) return;
    for (std::size_t k = 0; k < root.size(); ++k) {
        auto kind = parse_kind(root.key(k).text());
        yaml::Node ids = root.value(k);
        if (!kind || !ids.is_map()) continue;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            yaml::Node others = ids.value(i);
            if (!others.is_map()) continue;
            for (std::size_t o = 0; o < others.size(); ++o) {
                if (!others.value(o).is_string()) continue;
                ws_.links.push_back({*kind, std::string(ids.key(i).text()), std::string(others.key(o).text()),
                                     std::string(others.value(o).text()), others.key(o).mark()});
            }
        }
    }
}

LoadedWorkspace Loader::run() {
    plan_tasks();
    util::parallel_for(tasks_.size(), [&](std::size_t i) {
        parse_and_check(tasks_[i]);
        if (files_done_) ++*files_done_;
    });

    std::vector<ParseCache::Entry> clean;  // what the cache may keep
    // Unreadable files: the resources they would have been are not there.
    std::array<std::vector<std::string_view>, 2 * kAllKinds.size()> unreadable;
    for (FileTask& task : tasks_) {
        const bool keep = task.loaded && task.diagnostics.items.empty();
        diags_.append(std::move(task.diagnostics));
        if (task.role == Role::workspace) has_workspace_file_ = true;
        if (!task.loaded) {
            if (task.is_resource())
                unreadable[(task.role == Role::draft ? kAllKinds.size() : 0) + static_cast<std::size_t>(task.kind)]
                    .push_back(task.id);
            continue;
        }
        if (task.role == Role::workspace) assemble_workspace(task.doc->root());
        if (task.role == Role::links) assemble_links(task.doc->root());
        if (keep)
            clean.push_back({task.entry->path, task.entry->id, task.blob_size,
                             task.is_resource() ? &task.resource->facts : nullptr});
    }
    for (std::size_t k = 0; k < kAllKinds.size(); ++k) {
        ws_.resources[k].remove(unreadable[k]);
        ws_.drafts[k].remove(unreadable[kAllKinds.size() + k]);
    }
    if (cache_) cache_->save(clean);
    if (!has_workspace_file_) {
        Diagnostic d = error(code::schema, "workspace.yaml is missing", {ws_.file("workspace.yaml"), 0, 0});
        d.hint = "every workspace tree starts with a workspace.yaml naming its organization";
        diags_.add(std::move(d));
    }
    // Problems in workspace-wide files name their workspace: in an
    // organization of several repositories, "workspace.yaml" alone does not.
    for (auto& d : diags_.items) {
        if (d.address.empty()) d.address = ws_.name;
    }
    auto documents = std::make_shared<TreeDocuments>(tree_, ws_.name);
    return {std::move(ws_), std::move(diags_), std::move(documents)};
}

}  // namespace

LoadedWorkspace load_workspace(std::shared_ptr<const TreeSource> tree, WorkspaceOrigin origin, const TreeLimits& limits,
                               const SchemaSet& schemas, const ParseCache* cache,
                               std::atomic<std::size_t>* files_done) {
    LoadedWorkspace loaded = Loader(std::move(tree), std::move(origin), limits, schemas, cache, files_done).run();
    check_workspace(loaded.workspace, *loaded.documents, loaded.diagnostics);
    // SPEC 4.1: every location names its workspace.
    for (Diagnostic& d : loaded.diagnostics.items) {
        if (!d.location.file.empty() && d.location.workspace.empty()) d.location.workspace = loaded.workspace.name;
    }
    return loaded;
}

}  // namespace ferry
