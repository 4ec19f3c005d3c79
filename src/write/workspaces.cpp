#include "ferry/write/workspaces.hpp"

namespace ferry {

Write workspace_write(git::CommitTarget& target, const Workspace& ws, std::vector<git::FileChange> files,
                      std::string message, std::string from) {
    Write w{ws.name, &target, ws.ref, ws.commit, {}, std::move(message), std::move(from)};
    for (auto& f : files)
        w.files.push_back({ws.file(f.path), std::move(f.content)});
    return w;
}

std::expected<TransactionResult, Diagnostics> write_workspaces(Organization& org,
                                                               const std::vector<std::string>& workspaces,
                                                               const TransactionOptions& options,
                                                               const std::string& message,
                                                               const ComputeChanges& compute) {
    std::vector<WorkspaceRequest> requests;
    std::vector<git::CommitTarget*> targets;
    for (const std::string& name : workspaces) {
        auto config = org.workspace(name);
        if (!config) return std::unexpected(Diagnostics{{config.error()}});
        auto repo = org.repository(**config);
        if (!repo) return std::unexpected(Diagnostics{{repo.error()}});
        requests.push_back({name, {}});
        targets.push_back(*repo);
    }
    return run_transaction(targets, options, [&](int) -> std::expected<std::vector<Write>, Diagnostics> {
        std::vector<LoadedWorkspace> loaded;
        Diagnostics problems;
        for (auto& one : org.load_all(requests, Organization::Failure::go_on)) {
            if (one) {
                loaded.push_back(std::move(*one));
            } else {
                problems.add(std::move(one.error()));
            }
        }
        if (problems.has_errors()) return std::unexpected(std::move(problems));
        auto changes = compute(loaded);
        if (!changes) return std::unexpected(std::move(changes.error()));
        std::vector<Write> writes;
        for (WorkspaceChange& change : *changes) {
            const std::size_t i =
                static_cast<std::size_t>(std::ranges::find(workspaces, change.workspace->name) - workspaces.begin());
            writes.push_back(
                workspace_write(*targets.at(i), *change.workspace, std::move(change.files), message, change.from));
        }
        return writes;
    });
}

}  // namespace ferry
