// Changes to workspaces of an organization, written through the one
// transaction: what link, unlink and publish share.
#pragma once

#include <expected>
#include <functional>
#include <string>
#include <vector>

#include "ferry/load/organization.hpp"
#include "ferry/write/transaction.hpp"

namespace ferry {

// Files to write into one workspace's tree, computed from its loaded state.
struct WorkspaceChange {
    const Workspace* workspace;
    std::vector<git::FileChange> files;  // paths inside the workspace tree
    std::string from;                    // WORKSPACE@COMMIT it was deployed from, for a Ferry-From trailer
};

// Computes the changes from freshly loaded workspaces (in the order asked),
// or the errors that stop the command; it sees each workspace's load
// diagnostics and decides which matter.
using ComputeChanges =
    std::function<std::expected<std::vector<WorkspaceChange>, Diagnostics>(const std::vector<LoadedWorkspace>&)>;

// Reads `workspaces` at their branch tips, asks `compute` what to write, and
// runs the transaction with it (reading and computing again when a branch
// moved meanwhile); every commit's message is `message`.
std::expected<TransactionResult, Diagnostics> write_workspaces(Organization& org,
                                                                  const std::vector<std::string>& workspaces,
                                                                  const TransactionOptions& options,
                                                                  const std::string& message,
                                                                  const ComputeChanges& compute);

// The commit of `files` (paths inside ws's tree) on ws's branch, from the
// commit ws was read at.
Write workspace_write(git::CommitTarget& target, const Workspace& ws, std::vector<git::FileChange> files,
                      std::string message, std::string from = {});

}  // namespace ferry
