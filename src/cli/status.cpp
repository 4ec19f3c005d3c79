// `ferry status [WORKSPACE[@REF]...] [--against OTHER[@REF]]` (SPEC 4): each
// workspace's inventory and, against another, the drift between the two.
#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>

#include "ferry/plan/status.hpp"
#include "session.hpp"

namespace ferry::cli {
namespace {

struct StatusArgs {
    std::vector<std::string> workspaces;
    std::string against;
    bool detailed_exitcode = false;
};

// "2 sources, 1 destination, 0 models"
std::string counts_line(const Inventory& inv) {
    std::string out;
    for (Kind kind : kAllKinds) {
        std::size_t n = inv.counts[static_cast<std::size_t>(kind)];
        std::string name(kind_name(kind));
        if (n == 1) name.pop_back();
        out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + name;
    }
    return out;
}

std::string plural(std::size_t n, const std::string& one, const std::string& many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// A row of fixed-width columns, as `ferry links` prints them.
std::string row(const std::vector<std::pair<std::string, std::size_t>>& cells) {
    std::ostringstream line;
    line << "  ";
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i + 1 < cells.size()) {
            line << std::left << std::setw(static_cast<int>(cells[i].second + 2)) << cells[i].first;
        } else {
            line << cells[i].first;
        }
    }
    return line.str();
}

void present_workspace(const Workspace& ws, const Inventory& inv, nlohmann::json& out,
                       std::vector<std::string>& lines) {
    nlohmann::json counts = nlohmann::json::object();
    for (Kind kind : kAllKinds)
        counts[std::string(kind_name(kind))] = inv.counts[static_cast<std::size_t>(kind)];
    nlohmann::json drafts = nlohmann::json::array();
    for (const PendingDraft& d : inv.drafts)
        drafts.push_back({{"address", d.address}, {"author", d.author}, {"approval", d.approval}});
    nlohmann::json links = nlohmann::json::object();
    std::string links_text;
    for (const LinkCount& l : inv.links) {
        links[l.workspace] = l.links;
        links_text += (links_text.empty() ? "" : ", ") + l.workspace + " " + std::to_string(l.links);
    }
    out.push_back(
        {{"workspace", ws.name}, {"commit", ws.commit}, {"counts", counts}, {"drafts", drafts}, {"links", links}});

    if (!lines.empty()) lines.emplace_back();
    lines.push_back(ws.name + " @ " + ws.ref + " (" + ws.commit.substr(0, 12) + ")");
    lines.push_back("  resources  " + counts_line(inv));
    if (inv.drafts.empty()) lines.emplace_back("  drafts     none pending");
    for (std::size_t i = 0; i < inv.drafts.size(); ++i) {
        const PendingDraft& d = inv.drafts[i];
        lines.push_back(std::string(i == 0 ? "  drafts     " : "             ") + d.address + " by " +
                        (d.author.empty() ? "no author" : d.author) + ", approval " + d.approval);
    }
    lines.push_back("  links      " + (links_text.empty() ? "no other workspace" : links_text));
}

// The pairs and the resources only here, as JSON and as a table; the
// summary's part for this pair of workspaces.
std::string present_drift(const Workspace& here, const Workspace& other, const Drift& drift, nlohmann::json& result,
                          std::vector<std::string>& lines) {
    std::size_t width = 9;  // "only-here"
    std::size_t a_width = 1;
    std::size_t in_sync = 0, differs = 0;
    for (const LinkedPair& p : drift.pairs) {
        std::string a = address(here.name, p.kind, p.a_id);
        std::string b = address(other.name, p.kind, p.b_id);
        a_width = std::max(a_width, a.size());
        (p.state == PairState::in_sync ? in_sync : differs)++;
        result["pairs"].push_back({{"a", std::move(a)}, {"b", std::move(b)}, {"state", pair_state_name(p.state)}});
    }
    for (const std::string& addr : drift.only_here)
        result["only_here"].push_back(addr);

    if (!lines.empty()) lines.emplace_back();
    lines.push_back(here.name + " against " + other.name + " @ " + other.ref + " (" + other.commit.substr(0, 12) + ")");
    if (drift.pairs.empty() && drift.only_here.empty()) lines.emplace_back("  no linked models or syncs");
    if (!drift.pairs.empty()) lines.push_back(row({{"STATE", width}, {"A", a_width}, {"B", 0}}));
    for (const LinkedPair& p : drift.pairs) {
        lines.push_back(row({{std::string(pair_state_name(p.state)), width},
                             {address(here.name, p.kind, p.a_id), a_width},
                             {address(other.name, p.kind, p.b_id), 0}}));
    }
    for (const std::string& addr : drift.only_here)
        lines.push_back(row({{"only-here", width}, {addr, 0}}));

    std::string summary = here.name + " against " + other.name + ": " + std::to_string(in_sync) + " in sync, " +
                          std::to_string(differs) + " " + (differs == 1 ? "differs" : "differ") + ", " +
                          std::to_string(drift.only_here.size()) + " only here";
    if (drift.stale_links) summary += ", " + plural(drift.stale_links, "stale link", "stale links");
    return summary;
}

int status(const Context& ctx, const StatusArgs& args) {
    nlohmann::json result = {{"workspaces", nlohmann::json::array()},
                             {"pairs", nlohmann::json::array()},
                             {"only_here", nlohmann::json::array()}};
    // Usage first: nothing is read before the command line makes sense.
    std::vector<WorkspaceRequest> listed;
    std::map<std::string, std::string> refs;  // name -> ref, each workspace read once
    auto request = [&](const std::string& text, std::string_view what) -> std::optional<int> {
        WorkspaceRequest r = parse_workspace_request(text);
        if (r.name.empty() || (text.find('@') != std::string::npos && r.ref.empty()))
            return usage_error("'" + text + "' is not " + std::string(what) + " or " + std::string(what) + "@REF");
        auto [at, fresh] = refs.emplace(r.name, r.ref);
        if (!fresh && at->second != r.ref)
            return usage_error(r.name + " is named at two refs ('" + at->second + "' and '" + r.ref + "')");
        if (fresh && what == "WORKSPACE") listed.push_back(std::move(r));
        return std::nullopt;
    };
    for (const std::string& text : args.workspaces) {
        if (auto rc = request(text, "WORKSPACE")) return *rc;
    }
    std::optional<WorkspaceRequest> against;
    if (!args.against.empty()) {
        if (auto rc = request(args.against, "OTHER")) return *rc;
        against = parse_workspace_request(args.against);
    }

    auto org = open_organization(ctx);
    if (!org) return finish(ctx, result, org.error(), kFailed, "Invalid: " + count_summary(org.error()) + ".");
    std::vector<std::string> names;
    for (const auto& [name, ref] : refs)
        names.push_back(name);
    if (Diagnostics unknown = unknown_workspaces(*org, names); unknown.has_errors())
        return finish(ctx, result, unknown, kFailed, "Invalid: " + count_summary(unknown) + ".");
    if (listed.empty()) {
        for (const auto& w : org->config().workspaces) {
            if (!refs.contains(w.name)) refs.emplace(w.name, "");
            listed.push_back({w.name, refs[w.name]});
        }
    }

    // Every workspace is read, the others at their branch tips: links are
    // counted with each of them. Only the listed ones and OTHER are reported.
    std::vector<WorkspaceRequest> reads;
    for (const auto& w : org->config().workspaces)
        reads.push_back({w.name, refs.contains(w.name) ? refs[w.name] : ""});
    auto reported = [&](const std::string& name) { return refs.contains(name); };
    Diagnostics diags;
    std::vector<LoadedWorkspace> loaded;
    auto results = org->load_all(reads, Organization::Failure::go_on);
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i]) {
            loaded.push_back(std::move(*results[i]));
        } else if (reported(reads[i].name)) {
            diags.add(results[i].error());
        }
    }
    std::vector<const Workspace*> workspaces;
    std::map<std::string, const LoadedWorkspace*> by_name;
    for (const LoadedWorkspace& lw : loaded) {
        workspaces.push_back(&lw.workspace);
        by_name[lw.workspace.name] = &lw;
    }

    std::vector<std::string> lines;
    for (const WorkspaceRequest& r : listed) {
        auto found = by_name.find(r.name);
        if (found == by_name.end()) continue;
        const LoadedWorkspace& lw = *found->second;
        if (!lw.worktree_note.empty()) ctx.reporter->note(lw.worktree_note);
        Inventory inv = inventory(lw.workspace, *lw.documents, workspaces);
        present_workspace(lw.workspace, inv, result["workspaces"], lines);
        diags.append(std::move(inv.diagnostics));
    }
    for (const LoadedWorkspace& lw : loaded) {
        if (reported(lw.workspace.name)) diags.append(Diagnostics(lw.diagnostics));
    }
    check_links(org->config(), workspaces, reported, diags);

    bool drifted = false;
    std::string summary;
    if (against && by_name.contains(against->name)) {
        const LoadedWorkspace& other = *by_name[against->name];
        for (const WorkspaceRequest& r : listed) {
            if (r.name == against->name || !by_name.contains(r.name)) continue;
            const LoadedWorkspace& here = *by_name[r.name];
            Drift drift = compare_workspaces({here.workspace, *here.documents, &here.diagnostics},
                                             {other.workspace, *other.documents, &other.diagnostics});
            drifted = drifted || drift.drifted();
            std::string part = present_drift(here.workspace, other.workspace, drift, result, lines);
            summary += (summary.empty() ? "" : "; ") + part;
            diags.append(std::move(drift.diagnostics));
        }
        if (!summary.empty()) summary += ".";
    }
    diags.sort();
    if (diags.has_errors()) summary = "Invalid: " + count_summary(diags) + ".";
    if (summary.empty()) {
        std::size_t drafts = 0;
        for (const auto& w : result["workspaces"])
            drafts += w["drafts"].size();
        summary = plural(result["workspaces"].size(), "workspace", "workspaces") + ", " +
                  plural(drafts, "draft", "drafts") + " pending.";
    }
    int rc = diags.has_errors() ? kFailed : (args.detailed_exitcode && drifted ? kChanges : kOk);
    return finish(ctx, std::move(result), diags, rc, std::move(summary), std::move(lines));
}

}  // namespace

Command status_command() {
    return {"status", "each workspace's resources, drafts and links; drift against another", [](CLI::App& sub) {
                auto args = std::make_shared<StatusArgs>();
                sub.add_option("workspaces", args->workspaces, "WORKSPACE[@REF] to show (default: every workspace)");
                sub.add_option("--against", args->against,
                               "OTHER[@REF]: compare each workspace's linked models and syncs with OTHER's");
                sub.add_flag("--detailed-exitcode", args->detailed_exitcode,
                             "exit 2 when anything differs from OTHER or is only here, 0 when in sync");
                sub.footer(
                    "Examples:\n"
                    "  ferry status\n"
                    "  ferry status dev --against prod\n"
                    "  ferry status staging --against prod --detailed-exitcode   the nightly drift check\n"
                    "  ferry status dev@feature-x --against prod --format json");
                return [args](const Context& ctx) { return status(ctx, *args); };
            }};
}

}  // namespace ferry::cli
