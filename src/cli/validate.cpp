// `ferry validate [WORKSPACE[@REF]...]`: every input check of SPEC 6.
#include <algorithm>
#include <set>

#include "commands.hpp"
#include "ferry/load/organization.hpp"
#include "ferry/schema/connectors.hpp"
#include "session.hpp"

namespace ferry::cli {
namespace {

std::size_t count(const std::array<ResourceMap, 5>& maps) {
    std::size_t n = 0;
    for (const auto& m : maps)
        n += m.size();
    return n;
}

int validate(const Context& ctx, const std::vector<std::string>& args, bool strict) {
    nlohmann::json result = {{"workspaces", nlohmann::json::array()}};
    for (const auto& arg : args) {
        WorkspaceRequest r = parse_workspace_request(arg);
        if (r.name.empty() || (arg.find('@') != std::string::npos && r.ref.empty())) {
            return usage_error("'" + arg + "' is not WORKSPACE or WORKSPACE@REF");
        }
    }
    Diagnostics diags;
    auto org = open_organization(ctx);
    if (!org) return finish(ctx, result, org.error(), kFailed, "Invalid: " + count_summary(org.error()) + ".");

    std::vector<WorkspaceRequest> requested;
    std::vector<std::string> names;
    for (const auto& arg : args) {
        requested.push_back(parse_workspace_request(arg));
        names.push_back(requested.back().name);
    }
    diags = unknown_workspaces(*org, names);
    if (diags.has_errors()) return finish(ctx, result, diags, kFailed, "Invalid: " + count_summary(diags) + ".");
    if (requested.empty()) {
        for (const auto& w : org->config().workspaces)
            requested.push_back({w.name, {}});
    }

    // Links are checked against every workspace of the organization, so the
    // ones not asked for are read too (at their branch tips), but only their
    // links are reported.
    std::set<std::string> asked;
    std::vector<WorkspaceRequest> reads = requested;
    for (const auto& r : requested)
        asked.insert(r.name);
    for (const auto& w : org->config().workspaces) {
        if (!asked.contains(w.name)) reads.push_back({w.name, {}});
    }
    std::vector<LoadedWorkspace> loaded;
    auto results = org->load_all(reads, Organization::Failure::go_on);
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i]) {
            loaded.push_back(std::move(*results[i]));
        } else if (i < requested.size()) {
            diags.add(results[i].error());
        }
    }

    std::vector<const Workspace*> workspaces;
    for (auto& lw : loaded) {
        workspaces.push_back(&lw.workspace);
        if (!asked.contains(lw.workspace.name)) continue;
        if (!lw.worktree_note.empty()) ctx.reporter->note(lw.worktree_note);
        if (strict) check_connector_types(lw, *org->config().connectors, lw.diagnostics);
        const Workspace& ws = lw.workspace;
        result["workspaces"].push_back({{"workspace", ws.name},
                                        {"ref", ws.ref},
                                        {"commit", ws.commit},
                                        {"valid", !lw.diagnostics.has_errors()},
                                        {"resources", count(ws.resources)},
                                        {"drafts", count(ws.drafts)}});
        diags.append(std::move(lw.diagnostics));
    }
    check_links(
        org->config(), workspaces, [&](const std::string& name) { return asked.contains(name); }, diags);
    diags.sort();

    std::vector<std::string> lines;
    for (const auto& w : result["workspaces"]) {
        lines.push_back(w["workspace"].get<std::string>() + " @ " + w["ref"].get<std::string>() + " (" +
                        w["commit"].get<std::string>().substr(0, 12) +
                        "): " + std::to_string(w["resources"].get<std::size_t>()) + " resources, " +
                        std::to_string(w["drafts"].get<std::size_t>()) + " drafts" +
                        (w["valid"].get<bool>() ? "" : ", invalid"));
    }
    std::string summary = (diags.has_errors() ? "Invalid: " : "Valid: ") + count_summary(diags) + ".";
    return finish(ctx, std::move(result), diags, diags.has_errors() ? kFailed : kOk, summary, std::move(lines));
}

}  // namespace

Command validate_command() {
    return {"validate", "check workspace trees; every workspace by default", [](CLI::App& sub) {
                auto args = std::make_shared<std::vector<std::string>>();
                auto strict = std::make_shared<bool>(false);
                sub.add_option("workspaces", *args, "WORKSPACE[@REF] to check");
                sub.add_flag("--strict", *strict,
                             "also warn about each connector type with no schema (unknown-connector-type), whose "
                             "config is not checked");
                sub.footer(
                    "Examples:\n  ferry validate\n  ferry validate dev prod\n  ferry validate dev@feature-x\n  "
                    "ferry validate --strict");
                return [args, strict](const Context& ctx) { return validate(ctx, *args, *strict); };
            }};
}

}  // namespace ferry::cli
