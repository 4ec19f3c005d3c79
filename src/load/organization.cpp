#include <map>

#include "ferry/git.hpp"
#include "ferry/links.hpp"
#include "ferry/organization.hpp"

namespace ferry {

WorkspaceRequest parse_workspace_request(std::string_view text) {
    auto at = text.find('@');
    if (at == std::string_view::npos) return {std::string(text), {}};
    return {std::string(text.substr(0, at)), std::string(text.substr(at + 1))};
}

std::vector<LoadedWorkspace> load_workspaces(const OrganizationConfig& config,
                                             const std::vector<WorkspaceRequest>& requests, Diagnostics& out) {
    std::map<std::string, git::Repository> repositories;
    std::vector<LoadedWorkspace> loaded;
    for (const WorkspaceRequest& request : requests) {
        const WorkspaceConfig* ws = config.find(request.name);
        if (!ws) continue;  // the caller reports unknown-workspace
        auto it = repositories.find(ws->repo.string());
        if (it == repositories.end()) {
            auto repo = git::Repository::open(ws->repo);
            if (!repo) {
                Diagnostic d = error(code::config, "workspace '" + ws->name + "': " + repo.error(), ws->location);
                d.hint = "`repo:` in ferry.yaml is relative to ferry.yaml's folder";
                out.add(std::move(d));
                continue;
            }
            it = repositories.emplace(ws->repo.string(), std::move(*repo)).first;
        }
        const git::Repository& repo = it->second;
        auto resolved = repo.resolve(ws->branch, request.ref);
        if (!resolved) {
            out.add(error(code::git, "workspace '" + ws->name + "': " + resolved.error(),
                          request.ref.empty() ? ws->location : Location{}));
            continue;
        }
        auto tree = repo.tree(resolved->commit, ws->path);
        if (!tree) {
            out.add(error(code::config, "workspace '" + ws->name + "': " + tree.error(), ws->location));
            continue;
        }
        loaded.push_back(load_workspace(**tree, {ws->name, ws->path, resolved->ref, resolved->commit}));
    }
    return loaded;
}

void check_links(const OrganizationConfig& config, const std::vector<const Workspace*>& workspaces,
                 const std::function<bool(const std::string&)>& report, Diagnostics& out) {
    for (const Workspace* ws : workspaces) {
        if (!report(ws->name)) continue;
        for (const LinkEntry& e : ws->links) {
            Location where{ws->links_file, e.mark.line, e.mark.column};
            if (e.other_workspace == ws->name) {
                out.add(error(code::link_conflict, "a resource cannot be linked to its own workspace", where,
                              address(ws->name, e.kind, e.local_id)));
            } else if (!config.find(e.other_workspace)) {
                out.add(warning(
                    code::stale_link,
                    "link to workspace '" + e.other_workspace + "', which ferry.yaml does not define; it is ignored",
                    where, address(ws->name, e.kind, e.local_id)));
            }
        }
    }
    for (std::size_t i = 0; i < workspaces.size(); ++i) {
        for (std::size_t j = i + 1; j < workspaces.size(); ++j) {
            const Workspace& a = *workspaces[i];
            const Workspace& b = *workspaces[j];
            if (!report(a.name) && !report(b.name)) continue;
            LinkSet links = resolve_links(a, b, out);
            if (a.organization != b.organization && !a.organization.empty() && !b.organization.empty() &&
                !links.all().empty()) {
                out.add(error(code::different_organization,
                              a.name + " (" + a.organization + ") and " + b.name + " (" + b.organization +
                                  ") belong to different organizations but are linked",
                              {a.links_file, 0, 0}));
            }
        }
    }
}

}  // namespace ferry
