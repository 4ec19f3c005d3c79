// Checks a loaded workspace can answer alone: references and secrets.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <span>

#include "checks.hpp"
#include "ferry/load/workspace_loader.hpp"
#include "ferry/util/did_you_mean.hpp"
#include "secrets.hpp"

namespace ferry {
namespace {

Location at(const std::string& file, yaml::Node n) {
    return {file, n.mark().line, n.mark().column};
}
Location at(const Resource& r, yaml::Node n) {
    return at(r.file, n);
}

bool is_secret_reference(yaml::Node n) {
    return n.is_map() && n.size() == 1 && n.key(0).text() == "secret" && n.value(0).is_string() &&
           !n.value(0).text().empty();
}

// SPEC 2.4: in a source or destination, a key that names a secret must hold
// `{ secret: NAME }`; in any resource, a string value that carries a
// credential is a literal secret, whatever its key. Neither value is ever
// repeated: it may be the secret.
void find_plaintext_secrets(Kind kind, const std::string& addr, const std::string& file, yaml::Node n,
                            const std::string& path, Diagnostics& out) {
    // A reference is fine anywhere, and the name inside it is no secret.
    if (is_secret_reference(n)) return;
    const bool connection = kind == Kind::sources || kind == Kind::destinations;
    if (n.is_string()) {
        if (const secrets::ValueRule* rule = secrets::match_value(n.text())) {
            Diagnostic d = error(code::plaintext_secret,
                                 "'" + (path.empty() ? std::string("(the file)") : path) + "' holds " +
                                     std::string(rule->name) + ", written out",
                                 at(file, n), addr);
            d.hint = connection ? "keep it in your secret store and write `{ secret: NAME }` in its place"
                                : "keep credentials out of the workspace: a source or destination refers to them "
                                  "as `{ secret: NAME }`";
            out.add(std::move(d));
        }
        return;
    }
    if (n.is_seq()) {
        for (std::size_t i = 0; i < n.size(); ++i) {
            find_plaintext_secrets(kind, addr, file, n.item(i), path + "[" + std::to_string(i) + "]", out);
        }
        return;
    }
    if (!n.is_map()) return;
    for (std::size_t i = 0; i < n.size(); ++i) {
        std::string_view key = n.key(i).text();
        yaml::Node value = n.value(i);
        std::string child = path.empty() ? std::string(key) : path + "." + std::string(key);
        if (connection && secrets::names_a_secret(key) && !is_secret_reference(value)) {
            Diagnostic d =
                error(code::plaintext_secret, "'" + child + "' must be a secret reference, not a literal value",
                      at(file, value), addr);
            d.hint = "write `" + std::string(key) + ": { secret: NAME }` and keep the value in your secret store";
            out.add(std::move(d));
            continue;
        }
        find_plaintext_secrets(kind, addr, file, value, child, out);
    }
}

// From the facts first: only a resource with a dangling reference has its
// document read, to say where.
bool references_resolve(const Workspace& ws, const Resource& r) {
    for (const Reference& ref : references_of(r.kind)) {
        std::string_view value = r.field(ref.field);
        if (!is_valid_id(value)) continue;
        if (!(r.is_draft ? ws.exists(ref.target, value) : ws.find(ref.target, value) != nullptr)) return false;
    }
    return r.kind != Kind::syncs ||
           std::ranges::all_of(r.facts.alerts, [&](const std::string& a) { return ws.has_alert(a); });
}

// SPEC 6: the id of a kind closest to a mistyped one, if one is close. A
// workspace gets hints for its first kHinted dangling references only (no
// format shows more diagnostics of one code), each kind's ids listed once:
// thousands of broken references cost what a hundred do.
class ClosestIds {
public:
    explicit ClosestIds(const Workspace& ws) : ws_(ws) {}

    std::string operator()(Kind kind, std::string_view id) {
        if (hinted_ == kHinted) return {};
        ++hinted_;
        auto& ids = ids_[static_cast<std::size_t>(kind)];
        if (!ids) {
            ids.emplace();
            ids->reserve(ws_.of(kind).size());
            for (const auto& [known, resource] : ws_.of(kind))
                ids->push_back(known);
        }
        return did_you_mean(id, *ids);
    }

private:
    static constexpr std::size_t kHinted = 100;
    const Workspace& ws_;
    std::array<std::optional<std::vector<std::string_view>>, kAllKinds.size()> ids_;
    std::size_t hinted_ = 0;
};

void check_references(const Workspace& ws, const Resource& r, yaml::Node root, ClosestIds& closest, Diagnostics& out) {
    for (const Reference& ref : references_of(r.kind)) {
        yaml::Node value = root.get(ref.field);
        if (!value || !value.is_string() || !is_valid_id(value.text())) continue;  // the schema said so already
        // A published resource needs published dependencies; a draft may
        // also build on other drafts.
        bool found = r.is_draft ? ws.exists(ref.target, value.text()) : ws.find(ref.target, value.text()) != nullptr;
        if (found) continue;
        std::string what(kind_name(ref.target));
        what.pop_back();  // "sources" -> "source"
        Diagnostic d = error(code::dangling_reference,
                             "'" + std::string(ref.field) + "' names " + what + " '" + std::string(value.text()) +
                                 "', which does not exist in " + ws.name,
                             at(r, value), address(ws.name, r.kind, r.id));
        if (!r.is_draft && ws.find_draft(ref.target, value.text())) {
            d.hint = address(ws.name, ref.target, value.text()) + " exists only as a draft: publish it first";
        } else if (std::string close = closest(ref.target, value.text()); !close.empty()) {
            d.hint = "did you mean '" + close + "'?";
        }
        out.add(std::move(d));
    }
    if (r.kind == Kind::syncs) {
        yaml::Node alerts = root.get("alerts");
        for (std::size_t i = 0; alerts.is_seq() && i < alerts.size(); ++i) {
            yaml::Node alert = alerts.item(i);
            if (!alert.is_string() || ws.has_alert(alert.text())) continue;
            Diagnostic d = error(code::dangling_reference,
                                 "alert '" + std::string(alert.text()) + "' is not one of " + ws.name + "'s alerts",
                                 at(r, alert), address(ws.name, r.kind, r.id));
            d.hint = "define it under `alerts:` in workspace.yaml";
            out.add(std::move(d));
        }
    }
}

// SPEC 2.4: dbt models need the dbt extension; dbt-cloud and fivetran
// schedules need theirs.
std::string_view missing_extension(const Workspace& ws, const Resource& r) {
    std::string_view needed;
    if (r.kind == Kind::models) needed = required_extension_of_model(r.facts.type);
    if (r.kind == Kind::syncs) needed = required_extension_of_schedule(r.facts.schedule_type);
    return needed.empty() || ws.has_extension(needed) ? std::string_view{} : needed;
}

void check_extensions(const Workspace& ws, const Resource& r, yaml::Node root, std::string_view needed,
                      Diagnostics& out) {
    yaml::Node node = r.kind == Kind::models ? root.get("type") : root.get("schedule").get("type");
    Diagnostic d = error(code::missing_extension,
                         "needs the '" + std::string(needed) + "' extension, which " + ws.name + " does not configure",
                         at(r, node), address(ws.name, r.kind, r.id));
    d.hint = "add `" + std::string(needed) + ": { ... }` under `extensions:` in " + ws.name + "'s workspace.yaml";
    out.add(std::move(d));
}

}  // namespace

namespace {

// What find_plaintext_secrets() finds, told without naming where: run on
// every document a load reads, it builds no path for the nodes it passes.
bool any_plaintext_secret(bool connection, yaml::Node n) {
    if (is_secret_reference(n)) return false;
    if (n.is_string()) return secrets::match_value(n.text()) != nullptr;
    if (n.is_seq()) {
        for (std::size_t i = 0; i < n.size(); ++i) {
            if (any_plaintext_secret(connection, n.item(i))) return true;
        }
        return false;
    }
    if (!n.is_map()) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        yaml::Node value = n.value(i);
        if (connection && secrets::names_a_secret(n.key(i).text()) && !is_secret_reference(value)) return true;
        if (any_plaintext_secret(connection, value)) return true;
    }
    return false;
}

}  // namespace

bool has_plaintext_secret(Kind kind, yaml::Node root) {
    return any_plaintext_secret(kind == Kind::sources || kind == Kind::destinations, root);
}

void check_workspace(const Workspace& ws, const DocumentSource& documents, Diagnostics& out) {
    ClosestIds closest(ws);
    for (Kind kind : kAllKinds) {
        for (const auto* map : {&ws.of(kind), &ws.drafts_of(kind)}) {
            for (const auto& [id, r] : *map) {
                // The facts tell whether there is a problem; the document,
                // read again only then, says where.
                const bool resolve = references_resolve(ws, r);
                const std::string_view extension = missing_extension(ws, r);
                if (resolve && extension.empty() && !r.facts.plaintext_secret) continue;
                auto root = documents.root(r);
                if (!root) {
                    out.add(root.error());
                    continue;
                }
                if (!resolve) check_references(ws, r, *root, closest, out);
                if (!extension.empty()) check_extensions(ws, r, *root, extension, out);
                if (r.facts.plaintext_secret)
                    find_plaintext_secrets(kind, address(ws.name, kind, id), r.file, *root, "", out);
            }
        }
    }
}

namespace {

// The places (keys and values) inside every value held by a secret's key
// that is not a secret reference: plaintext-secret reports those.
void secret_places(yaml::Node n, bool inside, std::set<std::pair<std::uint32_t, std::uint32_t>>& out) {
    if (inside) out.emplace(n.mark().line, n.mark().column);
    if (n.is_seq()) {
        for (std::size_t i = 0; i < n.size(); ++i)
            secret_places(n.item(i), inside, out);
    } else if (n.is_map()) {
        for (std::size_t i = 0; i < n.size(); ++i) {
            if (inside) out.emplace(n.key(i).mark().line, n.key(i).mark().column);
            const bool secret =
                inside || (secrets::names_a_secret(n.key(i).text()) && !is_secret_reference(n.value(i)));
            secret_places(n.value(i), secret, out);
        }
    }
}

}  // namespace

void check_connector_config(const ConnectorSchemas& connectors, Kind kind, const ResourceFacts& facts, yaml::Node root,
                            const std::string& file, const std::string& address, Diagnostics& out) {
    yaml::Node config = root.get("config");
    // An absent config, or one that is not a mapping (the resource's schema
    // said so), is not checked.
    if (!config || !config.is_map()) return;
    if (kind == Kind::syncs) {
        if (!facts.connector_type.empty()) connectors.check(kind, facts.connector_type, config, file, address, out);
        return;
    }
    if (kind != Kind::sources && kind != Kind::destinations) return;
    Diagnostics found;
    connectors.check(kind, facts.type, config, file, address, found);
    if (found.items.empty()) return;
    std::set<std::pair<std::uint32_t, std::uint32_t>> secret;
    secret_places(config, false, secret);
    for (Diagnostic& d : found.items) {
        if (!secret.contains({d.location.line, d.location.column})) out.add(std::move(d));
    }
}

// One warning per kind and type, at the first resource of that type (in id
// order), naming a few of the others.
void check_connector_types(const LoadedWorkspace& loaded, const ConnectorSchemas& connectors, Diagnostics& out) {
    const Workspace& ws = loaded.workspace;
    for (Kind kind : {Kind::sources, Kind::destinations}) {
        std::map<std::string, std::vector<const Resource*>> unknown;
        for (const auto& [id, r] : ws.of(kind)) {
            if (!r.facts.type.empty() && !connectors.knows(kind, r.facts.type)) unknown[r.facts.type].push_back(&r);
        }
        std::string what(kind_name(kind));
        what.pop_back();  // "sources" -> "source"
        for (auto& [type, users] : unknown) {
            std::ranges::sort(users, {}, [](const Resource* r) { return r->id; });
            std::string listed;
            for (std::size_t i = 0; i < users.size() && i < 3; ++i)
                listed += (i == 0 ? "" : ", ") + address(ws.name, kind, users[i]->id);
            if (users.size() > 3) listed += " and " + std::to_string(users.size() - 3) + " more";
            Location where{users.front()->file, 0, 0};
            if (auto root = loaded.documents->root(*users.front())) {
                if (yaml::Node t = root->get("type")) where = {users.front()->file, t.mark().line, t.mark().column};
            }
            Diagnostic d = warning(
                code::unknown_connector_type,
                what + " type '" + type + "' has no connector schema, so the config of " + listed + " is not checked",
                where, address(ws.name, kind, users.front()->id));
            d.location.workspace = ws.name;
            std::string known;
            for (const std::string& t : connectors.types(kind))
                known += (known.empty() ? "" : ", ") + t;
            if (std::string meant = did_you_mean(type, connectors.types(kind)); !meant.empty()) {
                d.hint = "did you mean '" + meant + "'? Known " + what + " types: " + known;
            } else {
                d.hint = "add connectors/" + std::string(kind_name(kind)) + "/" + type +
                         ".schema.json beside ferry.yaml to check it; known " + what + " types: " + known;
            }
            out.add(std::move(d));
        }
    }
}

}  // namespace ferry
