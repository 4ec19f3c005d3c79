// The organization of ferry.yaml: its workspaces read from git (each
// repository opened once, however many workspaces share it) and the checks
// that span workspaces.
#pragma once

#include <expected>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ferry/config/config.hpp"
#include "ferry/git/repository.hpp"
#include "ferry/load/workspace_loader.hpp"

namespace ferry {

// WORKSPACE[@REF] as given on the command line.
struct WorkspaceRequest {
    std::string name;
    std::string ref;  // empty: the configured branch
};
WorkspaceRequest parse_workspace_request(std::string_view text);

class Organization {
public:
    // Finds and reads ferry.yaml (`config_flag` is --config). `progress`
    // shows the fetches of repositories named by URL.
    static std::expected<Organization, Diagnostics> open(const std::string& config_flag, git::Progress progress = {});

    const OrganizationConfig& config() const { return config_; }
    // The workspace's configuration, or an `unknown-workspace` error.
    std::expected<const WorkspaceConfig*, Diagnostic> workspace(std::string_view name) const;
    // The workspace's repository, opened on first use (a URL's clone
    // fetched then).
    std::expected<git::Repository*, Diagnostic> repository(const WorkspaceConfig& ws);
    // Reads the workspace's tree at its branch tip or at request.ref.
    std::expected<LoadedWorkspace, Diagnostic> load(const WorkspaceRequest& request);
    // Reads several workspaces, two at a time; each result is what load()
    // gives. With Failure::stop, a workspace that cannot be opened (unknown,
    // its repository or ref missing) stops the opening of those after it,
    // which all get its error; those before it are read.
    enum class Failure { stop, go_on };
    std::vector<std::expected<LoadedWorkspace, Diagnostic>> load_all(const std::vector<WorkspaceRequest>& requests,
                                                                     Failure on_failure = Failure::stop);

    // What a load starts from, without listing the tree: the workspace's
    // repository and commit. Errors as load() gives them.
    struct Located {
        const WorkspaceConfig* ws = nullptr;
        git::Repository* repo = nullptr;
        git::Resolved resolved;
    };
    std::expected<Located, Diagnostic> locate(const WorkspaceRequest& request);
    // The note on uncommitted changes that load() would give (it reads the
    // work tree's status: asked for only when it is said).
    std::string worktree_note(const Located& at) const;

private:
    struct Pending;
    std::expected<Pending, Diagnostic> prepare(const WorkspaceRequest& request);
    Organization(OrganizationConfig config, git::Progress progress)
        : config_(std::move(config)), progress_(std::move(progress)) {}
    OrganizationConfig config_;
    git::Progress progress_;
    std::map<std::string, git::Repository> repositories_;
};

// A `git` error about a commit or branch missing from `repo`, a shallow
// clone: says so, with the fix (SPEC 7).
void shallow_checkout(Diagnostic& d, const git::Repository& repo);

// Links across every pair of `workspaces`: link-conflict, stale-link,
// links.yaml naming unknown workspaces, different organizations. Only the
// workspaces for which `report(name)` holds, and the pairs that hold one of
// them, are reported.
void check_links(const OrganizationConfig& config, const std::vector<const Workspace*>& workspaces,
                 const std::function<bool(const std::string&)>& report, Diagnostics& out);

}  // namespace ferry
