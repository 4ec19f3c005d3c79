// `ferry link A B`, `ferry link A WORKSPACE`, `ferry unlink A B` (SPEC 3.1).
#include <iomanip>
#include <memory>
#include <sstream>

#include "ferry/model/linking.hpp"
#include "ferry/model/permissions.hpp"
#include "ferry/write/files.hpp"
#include "ferry/write/workspaces.hpp"
#include "session.hpp"

namespace ferry::cli {
namespace {

// A resource address on the command line of link/unlink: branch tips only.
std::expected<Address, std::string> endpoint(const std::string& text) {
    auto a = parse_address(text);
    if (!a) return std::unexpected("'" + text + "' is not an address WORKSPACE:KIND/ID (e.g. dev:sources/warehouse)");
    if (!a->ref.empty()) return std::unexpected("'" + text + "': links are made between branch tips; drop the @REF");
    return *a;
}

std::vector<git::FileChange> links_file_change(const Workspace& ws, const std::vector<LinkEntry>& entries) {
    if (same_links(ws.links, entries)) return {};
    std::string text = links_yaml(entries);
    if (text.empty()) return {{"links.yaml", std::nullopt}};
    return {{"links.yaml", std::move(text)}};
}

int report_written(const Context& ctx, const std::string& what, const TransactionResult& result) {
    const std::vector<Written>& written = result.written;
    std::vector<std::string> lines{what};
    if (written.empty()) lines.emplace_back("Nothing to write: both links.yaml files already say so.");
    for (const auto& w : written)
        lines.push_back("  " + w.workspace + ": commit " + w.commit.substr(0, 12));
    return finish(ctx, commits_json(written), result.warnings, kOk, {}, std::move(lines));
}

// The live links between the two loaded workspaces, and the errors that
// make writing their links.yaml unsafe.
LinkSet links_between(const LoadedWorkspace& a, const LoadedWorkspace& b, Diagnostics& out) {
    out.append(blocking_errors(a));
    out.append(blocking_errors(b));
    Diagnostics resolved;
    LinkSet links = resolve_links(a.workspace, b.workspace, resolved);
    for (auto& d : resolved.items) {
        if (d.severity == Severity::error) out.add(std::move(d));
    }
    return links;
}

int link_pair(const Context& ctx, Organization& org, const Address& a, const Address& b) {
    auto actor = resolve_actor(ctx, org, a.workspace);
    if (!actor) return finish(ctx, commits_json({}), Diagnostics{{actor.error()}}, kFailed);
    const std::string what = "Linked " + a.str() + " <-> " + b.str();
    auto written = write_workspaces(
        org, {a.workspace, b.workspace}, {.actor = *actor}, "Link " + a.str() + " <-> " + b.str(),
        [&](const std::vector<LoadedWorkspace>& loaded) -> std::expected<std::vector<WorkspaceChange>, Diagnostics> {
            const Workspace& wa = loaded[0].workspace;
            const Workspace& wb = loaded[1].workspace;
            Diagnostics errors;
            LinkSet links = links_between(loaded[0], loaded[1], errors);
            errors.append(check_link(wa, wb, links, {a.kind, a.id, b.id}, *actor));
            if (errors.has_errors()) return std::unexpected(std::move(errors));
            // Both files say it (links are the union, so one would do, but a
            // reader of either repository sees it); relinking repairs a side
            // that lacks it.
            return std::vector<WorkspaceChange>{
                {&wa, links_file_change(wa, with_link(wa.links, a.kind, a.id, b.workspace, b.id))},
                {&wb, links_file_change(wb, with_link(wb.links, b.kind, b.id, a.workspace, a.id))},
            };
        });
    if (!written) return finish(ctx, commits_json({}), written.error(), kFailed);
    return report_written(ctx, what, *written);
}

int list_candidates(const Context& ctx, Organization& org, const Address& a, const std::string& other) {
    nlohmann::json result = {{"resource", a.str()}, {"workspace", other}, {"candidates", nlohmann::json::array()}};
    auto fail = [&](Diagnostics d) { return finish(ctx, result, d, kFailed); };
    auto actor = resolve_actor(ctx, org, a.workspace);
    if (!actor) return fail(Diagnostics{{actor.error()}});
    auto loaded = org.load_all({{a.workspace, {}}, {other, {}}});
    auto& la = loaded[0];
    auto& lb = loaded[1];
    if (!la) return fail(Diagnostics{{la.error()}});
    if (!lb) return fail(Diagnostics{{lb.error()}});
    Diagnostics errors;
    LinkSet links = links_between(*la, *lb, errors);
    // The rules that hold for every candidate alike: kind, existence,
    // organization, permissions. A probe id that exists nowhere checks them.
    for (auto& d : check_link(la->workspace, lb->workspace, links, {a.kind, a.id, {}}, *actor).items) {
        bool about_probe = d.code == code::unknown_resource && d.address != a.str();
        bool linked_already = d.code == code::already_linked;  // said below, as a warning
        if (!about_probe && !linked_already) errors.add(std::move(d));
    }
    if (errors.has_errors()) return fail(std::move(errors));
    if (const std::string* linked = links.in_b(a.kind, a.id)) {
        errors.add(warning(code::already_linked, a.str() + " is already linked to " + address(other, a.kind, *linked),
                           {}, a.str()));
    }
    auto candidates = link_candidates(la->workspace, lb->workspace, links, a.kind, a.id);
    // A candidate's name is in its document, read again for the listing.
    std::vector<std::string> names;
    for (const Resource* r : candidates) {
        auto root = lb->documents->root(*r);
        if (!root) {
            errors.add(root.error());
            names.emplace_back();
            continue;
        }
        yaml::Node name = root->get("name");
        names.emplace_back(name.is_string() ? name.text() : std::string_view{});
        result["candidates"].push_back({{"address", address(other, r->kind, r->id)},
                                        {"id", r->id},
                                        {"name", names.back()},
                                        {"type", r->field("type")}});
    }
    const Resource* ra = la->workspace.find(a.kind, a.id);
    std::vector<std::string> lines{"Resources of " + other + " that " + a.str() + " (" +
                                   std::string(ra->field("type")) + ") may be linked to:"};
    if (candidates.empty()) lines.emplace_back("  none");
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        std::ostringstream line;
        line << "  " << std::left << std::setw(40) << address(other, candidates[i]->kind, candidates[i]->id) << " "
             << names[i];
        lines.push_back(line.str());
    }
    if (!candidates.empty())
        lines.push_back("Link one with: ferry link " + a.str() + " " + other + ":" + std::string(kind_name(a.kind)) +
                        "/<id>");
    return finish(ctx, result, errors, errors.has_errors() ? kFailed : kOk, {}, std::move(lines));
}

int link(const Context& ctx, const std::string& first, const std::string& second) {
    auto a = endpoint(first);
    if (!a) return usage_error(a.error());
    bool listing = second.find(':') == std::string::npos;
    std::optional<Address> b;
    if (!listing) {
        auto parsed = endpoint(second);
        if (!parsed) return usage_error(parsed.error());
        b = *parsed;
        if (b->workspace == a->workspace) return usage_error("a link joins two different workspaces");
        if (a->kind != b->kind) return usage_error("a link joins two resources of the same kind");
    } else if (second == a->workspace) {
        return usage_error("a link joins two different workspaces");
    }
    auto org = open_organization(ctx);
    if (!org) return finish(ctx, commits_json({}), org.error(), kFailed);
    Diagnostics unknown = unknown_workspaces(*org, {a->workspace, listing ? second : b->workspace});
    if (unknown.has_errors()) return finish(ctx, commits_json({}), unknown, kFailed);
    return listing ? list_candidates(ctx, *org, *a, second) : link_pair(ctx, *org, *a, *b);
}

int unlink(const Context& ctx, const std::string& first, const std::string& second) {
    auto a = endpoint(first);
    if (!a) return usage_error(a.error());
    auto b = endpoint(second);
    if (!b) return usage_error(b.error());
    if (a->kind != b->kind) return usage_error("a link joins two resources of the same kind");
    if (a->workspace == b->workspace) return usage_error("a link joins two different workspaces");
    auto org = open_organization(ctx);
    if (!org) return finish(ctx, commits_json({}), org.error(), kFailed);
    if (auto unknown = unknown_workspaces(*org, {a->workspace, b->workspace}); unknown.has_errors())
        return finish(ctx, commits_json({}), unknown, kFailed);
    auto actor = resolve_actor(ctx, *org, a->workspace);
    if (!actor) return finish(ctx, commits_json({}), Diagnostics{{actor.error()}}, kFailed);
    auto written = write_workspaces(
        *org, {a->workspace, b->workspace}, {.actor = *actor}, "Unlink " + a->str() + " <-> " + b->str(),
        [&](const std::vector<LoadedWorkspace>& loaded) -> std::expected<std::vector<WorkspaceChange>, Diagnostics> {
            const Workspace& wa = loaded[0].workspace;
            const Workspace& wb = loaded[1].workspace;
            Diagnostics errors;
            errors.append(blocking_errors(loaded[0]));
            errors.append(blocking_errors(loaded[1]));
            // A stale link (one side deleted) can be unlinked too: what
            // counts is that a links.yaml states it.
            if (!states_link(wa, a->kind, a->id, b->workspace, b->id) &&
                !states_link(wb, b->kind, b->id, a->workspace, a->id)) {
                Diagnostic d = error(code::not_linked, a->str() + " and " + b->str() + " are not linked", {}, a->str());
                d.hint = "ferry links " + a->workspace + " lists its links";
                errors.add(std::move(d));
            }
            for (const Workspace* ws : {&wa, &wb}) {
                Level level = level_of(*ws, *actor, a->kind);
                if (level == Level::edit) continue;
                errors.add(error(code::permission_denied,
                                 *actor + " needs edit on " + std::string(kind_name(a->kind)) + " in " + ws->name +
                                     " to unlink, and has " + std::string(level_name(level)),
                                 {}, ws == &wa ? a->str() : b->str()));
            }
            if (errors.has_errors()) return std::unexpected(std::move(errors));
            return std::vector<WorkspaceChange>{
                {&wa, links_file_change(wa, without_link(wa, a->kind, a->id, b->workspace, b->id))},
                {&wb, links_file_change(wb, without_link(wb, b->kind, b->id, a->workspace, a->id))},
            };
        });
    if (!written) return finish(ctx, commits_json({}), written.error(), kFailed);
    return report_written(ctx, "Unlinked " + a->str() + " <-> " + b->str(), *written);
}

}  // namespace

Command link_command() {
    return {"link", "link a source or destination to its counterpart, or list candidates", [](CLI::App& sub) {
                auto args = std::make_shared<std::array<std::string, 2>>();
                sub.add_option("A", (*args)[0], "WORKSPACE:KIND/ID")->required();
                sub.add_option("B", (*args)[1], "WORKSPACE:KIND/ID, or a WORKSPACE to list candidates")->required();
                sub.footer(
                    "Examples:\n  ferry link dev:sources/warehouse-dev prod:sources/warehouse\n"
                    "  ferry link dev:sources/warehouse-dev prod      (list what it may be linked to)");
                return [args](const Context& ctx) { return link(ctx, (*args)[0], (*args)[1]); };
            }};
}

Command unlink_command() {
    return {"unlink", "remove a link from both workspaces", [](CLI::App& sub) {
                auto args = std::make_shared<std::array<std::string, 2>>();
                sub.add_option("A", (*args)[0], "WORKSPACE:KIND/ID")->required();
                sub.add_option("B", (*args)[1], "WORKSPACE:KIND/ID")->required();
                sub.footer("Example:\n  ferry unlink dev:sources/warehouse-dev prod:sources/warehouse");
                return [args](const Context& ctx) { return unlink(ctx, (*args)[0], (*args)[1]); };
            }};
}

}  // namespace ferry::cli
