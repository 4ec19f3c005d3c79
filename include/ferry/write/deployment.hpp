// A plan as one commit in T (SPEC 4.2): the files it writes and the
// message that says what it deploys.
#pragma once

#include <string>
#include <vector>

#include "ferry/git/commit_target.hpp"
#include "ferry/model/workspace.hpp"
#include "ferry/plan/plan.hpp"
#include "ferry/write/transaction.hpp"

namespace ferry {

// The files of T the plan writes (paths inside T's tree): each changed
// resource in canonical YAML (a draft under drafts/, the published file
// untouched), drafts it replaces removed, and T's links.yaml with the new
// links. A resource keeps the path it has (x.yml stays x.yml).
std::vector<git::FileChange> deployment_files(const Plan& plan, const Workspace& target);

// The commit message: `summary_line` (by default, what was deployed from
// where), then what was created, updated, linked and replaced. The
// transaction adds the trailers.
std::string deployment_message(const Plan& plan, const std::string& summary_line);

// The plan's commit on T's branch, from the commit the plan was made on.
Write deployment_write(const Plan& plan, const Workspace& target, git::CommitTarget& repository,
                       const std::string& summary_line);

}  // namespace ferry
