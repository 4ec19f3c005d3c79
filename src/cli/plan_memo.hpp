// Incremental dry-run plans (docs/incremental-plans.md).
//
// A dry-run plan made in full leaves a memo in the source repository, under
// <gitdir>/ferry/cache/: the two workspace trees it read (by git's ids), the
// links and the selection it planned with, which files had load problems,
// and the plan in parts (one verdict per selected resource). The next
// dry-run of the same two workspaces, options and actor asks git which
// files changed since those trees. When the only changes are to the
// contents of models and syncs (or their drafts) that loaded cleanly before
// and after, and read the same references, it loads just those files and
// what they reference, plans their resources again, and puts the new
// verdicts in place of the old. Anything else (a file added or removed, a
// source, destination, audience, workspace.yaml or links.yaml changed, a
// file with a problem, --link) plans in full, which writes a new memo.
//
// The plan is the one a full plan gives, byte for byte; FERRY_NO_CACHE=1
// turns memos off, as it does the parse cache.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "ferry/load/organization.hpp"
#include "ferry/model/links.hpp"
#include "ferry/plan/plan.hpp"

namespace ferry::cli {

struct MemoRequest {
    const WorkspaceRequest& from;
    const std::string& to;
    const PlanOptions& options;
    const std::string& actor;
};

// The plan from the memo of an earlier plan, or why none applies (the
// caller then plans in full). With a plan, `notes` gets S's and T's
// work-tree notes, as load_all() gives them.
std::expected<Plan, std::string> plan_from_memo(Organization& org, const MemoRequest& request,
                                                std::vector<std::string>& notes);

// Keeps what a full plan was made from, for plan_from_memo(). Failing to
// write is not an error: the next plan is made in full.
void save_memo(Organization& org, const MemoRequest& request, const LoadedWorkspace& source,
               const LoadedWorkspace& target, const LinkSet& links, const PlanParts& parts);

}  // namespace ferry::cli
