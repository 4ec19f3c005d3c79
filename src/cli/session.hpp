// What the commands that read and write workspaces share: the actor, and
// writing files to several workspaces with compare-and-swap and retries.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "ferry/load/organization.hpp"

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

// SPEC 4.2's trailers end every message ferry writes (Ferry-From only when
// `from` is set).
std::string with_trailers(const std::string& message, const std::string& from, const std::string& actor);

// The commit author for the actor: the repository's user.name when it is
// the actor's own email, else the email's local part.
git::Identity author_for(const std::string& actor, git::Repository& repo);

// A refused write as a diagnostic with its SPEC code.
Diagnostic write_failure(const git::WriteFailure& failure, const std::string& workspace);

// A write killed half-way can leave a work tree behind its branch: every
// command that writes finishes that first, for the repositories of
// `workspaces`, even when it then writes nothing or is refused.
void finish_interrupted_writes(Organization& org, const std::vector<std::string>& workspaces);

// Files to write into one workspace's tree, computed from its loaded state.
struct WorkspaceChange {
    const Workspace* workspace;
    std::vector<git::FileChange> files;  // paths inside the workspace tree
    std::string from;                    // WORKSPACE@COMMIT it was deployed from, for a Ferry-From trailer
};

struct Written {
    std::string workspace;
    std::string commit;
};

// Loads `workspaces` at their branch tips, asks `compute` what to write,
// and commits it, one commit per repository and branch. When a branch moved
// meanwhile, everything is loaded and computed again (a few times).
// `compute` returns the changes, or the errors that stop the command; it
// sees each workspace's load diagnostics and decides which ones matter.
using ComputeChanges =
    std::function<std::expected<std::vector<WorkspaceChange>, Diagnostics>(const std::vector<LoadedWorkspace>&)>;
std::expected<std::vector<Written>, Diagnostics> write_workspaces(Organization& org,
                                                                  const std::vector<std::string>& workspaces,
                                                                  const std::string& actor, const std::string& message,
                                                                  const ComputeChanges& compute);

// The load errors of a workspace that make writing its links.yaml unsafe:
// those in workspace.yaml or links.yaml.
Diagnostics blocking_errors(const LoadedWorkspace& lw);

// The `commits` result of link, unlink and publish.
nlohmann::json commits_json(const std::vector<Written>& written);

}  // namespace ferry::cli
