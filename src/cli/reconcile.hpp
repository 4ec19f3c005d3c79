// Planning and writing deployments, shared by `reconcile` and `apply`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "ferry/load/organization.hpp"
#include "ferry/plan/plan.hpp"

namespace ferry::cli {

struct ReconcileArgs {
    std::string from, to;
    std::vector<std::string> select, exclude, link;
    bool all = false, with_schedule = false, include_dependencies = false;
    bool dry_run = false, detailed_exitcode = false, push = false;
    std::string out, branch, message;
};

// The command line checked, the organization open, both workspaces read.
struct PreparedPlan {
    std::unique_ptr<Organization> org;
    PlanOptions options;
    std::string actor;
    LoadedWorkspace source;
    LoadedWorkspace target;
};

// On failure, the exit code (the problem already reported).
std::expected<PreparedPlan, int> prepare_plan(const Context& ctx, const ReconcileArgs& args);
// The plan from prepared.source to `target`, else to prepared.target.
Plan plan_prepared(const PreparedPlan& prepared, const LoadedWorkspace* target = nullptr);
int print_plan(const Context& ctx, const Plan& plan);
int plan_exit_code(const Plan& plan, bool detailed);
// --out: the plan as JSON in a file.
bool save_plan(const Plan& plan, const std::string& path);

struct WriteOptions {
    std::string branch, message;
    std::string out;  // --out: where the written plan is saved
    bool push = false;
    bool detailed_exitcode = false;
};
// Plans again against a fresh target (reconcile); apply has none.
using Replan = std::function<Plan(const LoadedWorkspace& target)>;

// Writes the plan as one commit in T (SPEC 4.2). When T's branch moved
// meanwhile, plans again on the new tip (a few times) with `replan`, or
// refuses with stale-plan without one.
int write_plan(const Context& ctx, Organization& org, LoadedWorkspace target, Plan plan, const WriteOptions& options,
               const Replan& replan);
int apply_reconcile(const Context& ctx, const ReconcileArgs& args, PreparedPlan prepared, Plan plan);

// The files of T that the plan writes, and the commit message.
std::vector<git::FileChange> plan_files(const Plan& plan, const Workspace& target);
std::string plan_commit_message(const Plan& plan, const std::string& summary_line);

}  // namespace ferry::cli
