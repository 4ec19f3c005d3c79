// `ferry publish T:KIND/ID` (SPEC 3.3).
#include <memory>

#include "ferry/model/permissions.hpp"
#include "ferry/write/files.hpp"
#include "ferry/write/workspaces.hpp"
#include "ferry/yaml/value.hpp"
#include "session.hpp"

namespace ferry::cli {
namespace {

std::string path_in_tree(const Workspace& ws, const Resource* r, const std::string& fallback) {
    if (!r) return fallback;
    return ws.root.empty() ? r->file : r->file.substr(ws.root.size() + 1);
}

// Publishing must not leave a published resource pointing at a draft.
void check_published_references(const Workspace& ws, Kind kind, const nlohmann::json& resource, const std::string& addr,
                                Diagnostics& out) {
    std::vector<std::pair<const char*, Kind>> refs;
    if (kind == Kind::models) refs = {{"source", Kind::sources}};
    if (kind == Kind::syncs) refs = {{"model", Kind::models}, {"destination", Kind::destinations}};
    for (auto [field, target] : refs) {
        auto it = resource.find(field);
        if (it == resource.end() || !it->is_string() || ws.find(target, it->get<std::string>())) continue;
        Diagnostic d =
            error(code::dangling_reference,
                  addr + " would use " + address(ws.name, target, it->get<std::string>()) + ", which is not published",
                  {}, addr);
        d.hint = "ferry publish " + address(ws.name, target, it->get<std::string>()) + " first";
        out.add(std::move(d));
    }
}

int publish(const Context& ctx, const std::string& text) {
    auto a = parse_address(text);
    if (!a || !a->ref.empty()) return usage_error("'" + text + "' is not an address WORKSPACE:KIND/ID");
    auto org = open_organization(ctx);
    if (!org) return finish(ctx, commits_json({}), org.error(), kFailed);
    if (auto unknown = unknown_workspaces(*org, {a->workspace}); unknown.has_errors())
        return finish(ctx, commits_json({}), unknown, kFailed);
    auto actor = resolve_actor(ctx, *org, a->workspace);
    if (!actor) return finish(ctx, commits_json({}), Diagnostics{{actor.error()}}, kFailed);
    const std::string addr = a->str();
    auto written = write_workspaces(
        *org, {a->workspace}, {.actor = *actor}, "Publish " + addr,
        [&](const std::vector<LoadedWorkspace>& loaded) -> std::expected<std::vector<WorkspaceChange>, Diagnostics> {
            const Workspace& ws = loaded[0].workspace;
            Diagnostics errors = blocking_errors(loaded[0]);
            const Resource* draft = has_drafts(a->kind) ? ws.find_draft(a->kind, a->id) : nullptr;
            if (!draft) {
                Diagnostic d = error(code::unknown_resource, addr + " has no draft to publish", {}, addr);
                d.hint = "drafts live under drafts/models and drafts/syncs";
                errors.add(std::move(d));
                return std::unexpected(std::move(errors));
            }
            for (const auto& d : loaded[0].diagnostics.items) {
                if (d.severity == Severity::error && d.address == addr) errors.add(d);
            }
            auto root = loaded[0].documents->root(*draft);
            if (!root) {
                errors.add(root.error());
                return std::unexpected(std::move(errors));
            }
            nlohmann::json resource = to_json(*root);
            if (!resource.is_object()) return std::unexpected(std::move(errors));  // its load errors say why
            nlohmann::json block = resource.value("draft", nlohmann::json::object());
            if (!block.is_object()) block = nlohmann::json::object();
            resource.erase("draft");
            bool requested = block.contains("approval") && block["approval"] == "requested";
            Level level = level_of(ws, *actor, a->kind);
            if (level < Level::edit) {
                errors.add(error(code::permission_denied,
                                 *actor + " needs edit on " + std::string(kind_name(a->kind)) + " in " + ws.name +
                                     " to publish, and has " + std::string(level_name(level)),
                                 {}, addr));
            } else if (requested && !is_admin(ws, *actor)) {
                Diagnostic d =
                    error(code::permission_denied,
                          addr + " awaits approval: only an admin of " + ws.name + " may publish it", {}, addr);
                d.hint = "ask an admin of " + ws.name + " to run ferry publish " + addr;
                errors.add(std::move(d));
            }
            check_published_references(ws, a->kind, resource, addr, errors);
            if (errors.has_errors()) return std::unexpected(std::move(errors));

            std::string published_path =
                path_in_tree(ws, ws.find(a->kind, a->id), std::string(kind_name(a->kind)) + "/" + a->id + ".yaml");
            WorkspaceChange change{
                &ws,
                {{published_path, resource_yaml(a->kind, resource)}, {path_in_tree(ws, draft, ""), std::nullopt}},
                block.contains("origin") && block["origin"].is_string() ? block["origin"].get<std::string>() : ""};
            return std::vector<WorkspaceChange>{std::move(change)};
        });
    if (!written) return finish(ctx, commits_json({}), written.error(), kFailed);
    std::vector<std::string> lines{"Published " + addr};
    for (const auto& w : written->written)
        lines.push_back("  " + w.workspace + ": commit " + w.commit.substr(0, 12));
    return finish(ctx, commits_json(written->written), written->warnings, kOk, {}, std::move(lines));
}

}  // namespace

Command publish_command() {
    return {"publish", "publish a draft (admin when approval was requested)", [](CLI::App& sub) {
                auto target = std::make_shared<std::string>();
                sub.add_option("resource", *target, "WORKSPACE:KIND/ID")->required();
                sub.footer("Example:\n  ferry publish prod:syncs/users-to-salesforce");
                return [target](const Context& ctx) { return publish(ctx, *target); };
            }};
}

}  // namespace ferry::cli
