#include "deploy.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "ferry/render/render.hpp"
#include "ferry/write/deployment.hpp"

namespace ferry::cli {
namespace {

void write_step_summary(const Plan& plan) {
    const char* path = std::getenv("GITHUB_STEP_SUMMARY");
    if (!path || !*path) return;
    std::ofstream out(path, std::ios::app);
    out << plan_markdown(plan) << "\n";
}

}  // namespace

Plan plan_between(const LoadedWorkspace& source, const LoadedWorkspace& target, const PlanOptions& options,
                  const std::string& actor) {
    Diagnostics link_problems;
    LinkSet links = resolve_links(source.workspace, target.workspace, link_problems);
    Plan plan = make_plan({{source.workspace, *source.documents, &source.diagnostics},
                           {target.workspace, *target.documents, &target.diagnostics},
                           links,
                           options,
                           actor});
    // Links that contradict each other block the deployment; stale ones are
    // worth a warning.
    if (!link_problems.items.empty()) {
        link_problems.append(std::move(plan.diagnostics));
        plan.diagnostics = std::move(link_problems);
        if (plan.diagnostics.has_errors()) plan.status = PlanStatus::blocked;
    }
    return plan;
}

int print_plan(const Context& ctx, const Plan& plan) {
    switch (ctx.output.format) {
        case Format::json:
            std::cout << json_text(plan_json(plan)) << "\n";
            break;
        case Format::markdown:
            std::cout << plan_markdown(plan);
            break;
        case Format::github:
            print_github(std::cout, plan.diagnostics);
            std::cout << plan_summary(plan) << "\n";
            write_step_summary(plan);
            break;
        case Format::text: {
            print_text(std::cerr, plan.diagnostics, ctx.output);
            if (!ctx.output.quiet) print_plan_text(std::cout, plan, color_allowed(STDOUT_FILENO));
            break;
        }
    }
    return 0;
}

int plan_exit_code(const Plan& plan, bool detailed) {
    if (plan.status == PlanStatus::blocked) return kFailed;
    if (detailed && plan.status == PlanStatus::ok) return kChanges;
    return kOk;
}

bool save_plan(const Plan& plan, const std::string& path) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << json_text(plan_json(plan)) << "\n";
    if (!out) std::cerr << "error[usage]: cannot write " << path << "\n";
    return static_cast<bool>(out);
}

int deploy(const Context& ctx, Organization& org, const std::string& from, const std::string& to,
           const std::string& actor, const MakeDeployment& make, const WriteOptions& options, bool again) {
    std::optional<Deployment> last;  // the deployment of the last attempt
    auto fail = [&](Diagnostics d) {
        if (!last) return finish(ctx, {{"status", "blocked"}}, d, kFailed);
        last->plan.diagnostics.append(std::move(d));
        print_plan(ctx, last->plan);
        return kFailed;
    };
    auto repo = org.repository(**org.workspace(to));
    if (!repo) return fail(Diagnostics{{repo.error()}});

    TransactionOptions transaction;
    transaction.actor = actor;
    transaction.stale_hint = "plan again: ferry reconcile --from " + from + " --to " + to;
    transaction.new_branch = options.branch;
    transaction.push = options.push;
    transaction.on_moved = again ? TransactionOptions::OnMoved::compute_again : TransactionOptions::OnMoved::refuse;
    auto written =
        run_transaction({*repo}, transaction, [&](int attempt) -> std::expected<std::vector<Write>, Diagnostics> {
            auto made = make(attempt);
            if (!made) return std::unexpected(std::move(made.error()));
            last = std::move(*made);
            const Plan& plan = last->plan;
            // All or nothing: a blocked plan or one without changes writes nothing.
            if (plan.status != PlanStatus::ok) return std::vector<Write>{};
            return std::vector<Write>{deployment_write(plan, last->target.workspace, **repo, options.message)};
        });
    // --out holds the plan that was written (the last one, when T moved),
    // or would have been, whatever it says, as with --dry-run.
    if (last && !options.out.empty() && !save_plan(last->plan, options.out)) return kFailed;
    if (!written) return fail(std::move(written.error()));
    const Plan& plan = last->plan;
    if (plan.status != PlanStatus::ok) {
        print_plan(ctx, plan);
        return plan_exit_code(plan, options.detailed_exitcode);
    }
    const bool committed = !written->empty();
    Written what = committed ? written->front()
                             : Written{plan.to.workspace, options.branch.empty() ? plan.to.ref : options.branch, "",
                                       options.push || (*repo)->remote()};
    if (ctx.output.format == Format::json) {
        nlohmann::json out = plan_json(plan);
        out["written"] = {
            {"workspace", what.workspace}, {"branch", what.branch}, {"commit", what.commit}, {"pushed", what.pushed}};
        std::cout << json_text(out) << "\n";
    } else {
        print_plan(ctx, plan);
        if (ctx.output.format == Format::text && !ctx.output.quiet && committed) {
            std::cout << "Committed " << what.commit.substr(0, 12) << " to " << what.workspace << " (" << what.branch
                      << ")" << (what.pushed ? ", pushed" : "") << ".\n";
        }
    }
    return options.detailed_exitcode && committed ? kChanges : kOk;
}

}  // namespace ferry::cli
