// What `reconcile` and `apply` share: planning between two loaded
// workspaces, printing and saving a plan, and writing it as one commit in T
// through the transaction.
#pragma once

#include <functional>
#include <string>

#include "commands.hpp"
#include "ferry/load/organization.hpp"
#include "ferry/model/links.hpp"
#include "ferry/plan/plan.hpp"

namespace ferry::cli {

// The plan from `source` to `target`: links resolved (their conflicts block
// it), then SPEC 3.2's rules.
Plan plan_between(const LoadedWorkspace& source, const LoadedWorkspace& target, const PlanOptions& options,
                  const std::string& actor);
// The same in parts, with the links it was made with (for a plan memo).
PlanParts plan_parts_between(const LoadedWorkspace& source, const LoadedWorkspace& target, const PlanOptions& options,
                             const std::string& actor, LinkSet& links);

int print_plan(const Context& ctx, const Plan& plan);
int plan_exit_code(const Plan& plan, bool detailed);
// --out: the plan as JSON in a file, with what was written when it was.
bool save_plan(const Plan& plan, const std::string& path, const PlanWritten* written = nullptr);

struct WriteOptions {
    std::string branch, message;
    std::string out;  // --out: where the written plan is saved
    bool push = false;
    bool detailed_exitcode = false;
    bool plan_shown = false;  // the plan was shown (and confirmed): say only what was written
};
// A plan and the T it was made against: what a deployment writes.
struct Deployment {
    LoadedWorkspace target;
    Plan plan;
};
// Makes the deployment for the write's attempt `attempt` (from 1), or the
// errors that stop the command before there is a plan.
using MakeDeployment = std::function<std::expected<Deployment, Diagnostics>(int attempt)>;

// Writes a deployment as one commit in T (SPEC 4.2) through the
// transaction, and prints the plan with what was written. A blocked plan,
// or one without changes, writes nothing. When T's branch moved meanwhile,
// the deployment is made again (reconcile: `again`), or the write is
// refused with stale-plan (apply writes exactly the plan it was given).
// `from` and `to` name S and T, `actor` acts.
int deploy(const Context& ctx, Organization& org, const std::string& from, const std::string& to,
           const std::string& actor, const MakeDeployment& make, const WriteOptions& options, bool again);

}  // namespace ferry::cli
