// What the commands that read workspaces share: the organization, the
// actor, workspace names checked, and the results of writing commands.
#pragma once

#include <string>
#include <vector>

#include "commands.hpp"
#include "ferry/load/organization.hpp"
#include "ferry/write/transaction.hpp"

namespace ferry::cli {

// Finds and reads ferry.yaml for a command, with a hint toward `ferry init`
// when no ferry.yaml was named or found. Fetches and long loads show their
// progress on standard error when that is a terminal, in text output and
// without -q; never in json, markdown or github output.
std::expected<Organization, Diagnostics> open_organization(const Context& ctx);

// SPEC 1: --actor, else FERRY_ACTOR, else user.email of the target repository.
std::expected<std::string, Diagnostic> resolve_actor(const Context& ctx, Organization& org,
                                                     const std::string& target_workspace);
std::expected<std::string, Diagnostic> resolve_actor(const Context& ctx, const git::Repository* repo,
                                                     const std::string& target_workspace);

// `unknown-workspace` for each of `names` that ferry.yaml does not define,
// with a hint: the name meant, or how to add a new workspace.
Diagnostics unknown_workspaces(const Organization& org, const std::vector<std::string>& names);

// The load errors of a workspace that make writing its links.yaml unsafe:
// those in workspace.yaml or links.yaml.
Diagnostics blocking_errors(const LoadedWorkspace& lw);

// The `commits` result of link, unlink and publish.
nlohmann::json commits_json(const std::vector<Written>& written);

}  // namespace ferry::cli
