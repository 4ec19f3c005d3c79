// The workspaces of ferry.yaml, read from git at their branch tips or at a
// ref, and the checks that span workspaces.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ferry/config.hpp"
#include "ferry/load.hpp"

namespace ferry {

// WORKSPACE[@REF] as given on the command line.
struct WorkspaceRequest {
    std::string name;
    std::string ref;  // empty: the configured branch
};
WorkspaceRequest parse_workspace_request(std::string_view text);

// Reads each requested workspace from its repository (each repository opened
// once, however many workspaces share it). A workspace that cannot be read
// at all is left out, with its error in `out`.
std::vector<LoadedWorkspace> load_workspaces(const OrganizationConfig& config,
                                             const std::vector<WorkspaceRequest>& requests, Diagnostics& out);

// Links across every pair of `workspaces`: link-conflict, stale-link,
// links.yaml naming unknown workspaces, different organizations. Only the
// workspaces for which `report(name)` holds, and the pairs that hold one of
// them, are reported.
void check_links(const OrganizationConfig& config, const std::vector<const Workspace*>& workspaces,
                 const std::function<bool(const std::string&)>& report, Diagnostics& out);

}  // namespace ferry
