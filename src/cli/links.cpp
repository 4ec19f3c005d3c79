// `ferry links [WORKSPACE]`: the links between workspaces (SPEC 2.5).
#include <algorithm>
#include <array>
#include <iomanip>
#include <sstream>

#include "ferry/model/links.hpp"
#include "session.hpp"

namespace ferry::cli {
namespace {

int list_links(const Context& ctx, const std::vector<std::string>& args) {
    nlohmann::json result = {{"links", nlohmann::json::array()}};
    if (args.size() > 1) return usage_error("ferry links takes at most one workspace");
    auto org = open_organization(ctx);
    if (!org) return finish(ctx, result, org.error(), kFailed);
    Diagnostics diags;
    std::string only = args.empty() ? "" : args[0];
    if (!only.empty()) {
        if (auto unknown = unknown_workspaces(*org, {only}); unknown.has_errors())
            return finish(ctx, result, unknown, kFailed);
    }
    std::vector<LoadedWorkspace> loaded;
    for (const auto& w : org->config().workspaces) {
        auto lw = org->load({w.name, {}});
        if (!lw) {
            diags.add(lw.error());
            continue;
        }
        // A change across repositories cut short (a `git` warning of the
        // load) can leave the two sides of a link disagreeing: said here too.
        for (const Diagnostic& d : lw->diagnostics.items) {
            if (d.code == code::git) diags.add(d);
        }
        loaded.push_back(std::move(*lw));
    }
    // With a workspace, it is always the left column.
    if (!only.empty()) {
        std::stable_partition(loaded.begin(), loaded.end(), [&](const auto& lw) { return lw.workspace.name == only; });
    }
    std::vector<std::array<std::string, 3>> rows;
    for (std::size_t i = 0; i < loaded.size(); ++i) {
        for (std::size_t j = i + 1; j < loaded.size(); ++j) {
            const Workspace& a = loaded[i].workspace;
            const Workspace& b = loaded[j].workspace;
            if (!only.empty() && a.name != only) continue;
            for (const Link& l : resolve_links(a, b, diags).all()) {
                rows.push_back(
                    {std::string(kind_name(l.kind)), address(a.name, l.kind, l.a_id), address(b.name, l.kind, l.b_id)});
                result["links"].push_back({{"kind", rows.back()[0]}, {"a", rows.back()[1]}, {"b", rows.back()[2]}});
            }
        }
    }
    std::vector<std::string> lines;
    if (rows.empty()) lines.emplace_back("No links.");
    std::size_t width = 4;
    for (const auto& r : rows)
        width = std::max(width, r[1].size());
    auto row = [&](const std::string& kind, const std::string& a, const std::string& b) {
        std::ostringstream line;
        line << std::left << std::setw(14) << kind << std::setw(static_cast<int>(width + 2)) << a << b;
        return line.str();
    };
    if (!rows.empty()) lines.push_back(row("KIND", "A", "B"));
    for (const auto& r : rows)
        lines.push_back(row(r[0], r[1], r[2]));
    return finish(ctx, result, diags, diags.has_errors() ? kFailed : kOk, {}, std::move(lines));
}

}  // namespace

Command links_command() {
    return {"links", "list the links between workspaces", [](CLI::App& sub) {
                auto args = std::make_shared<std::vector<std::string>>();
                sub.add_option("workspace", *args, "only the links of this workspace");
                sub.footer("Examples:\n  ferry links\n  ferry links dev --format json");
                return [args](const Context& ctx) { return list_links(ctx, *args); };
            }};
}

}  // namespace ferry::cli
