#include "deploy.hpp"

#include <fstream>

#include "ferry/render/render.hpp"
#include "ferry/render/reporter.hpp"
#include "ferry/write/deployment.hpp"

namespace ferry::cli {

PlanParts plan_parts_between(const LoadedWorkspace& source, const LoadedWorkspace& target, const PlanOptions& options,
                             const std::string& actor, LinkSet& links) {
    Diagnostics link_problems;
    links = resolve_links(source.workspace, target.workspace, link_problems);
    PlanParts parts = make_plan_parts({{source.workspace, *source.documents, &source.diagnostics},
                                       {target.workspace, *target.documents, &target.diagnostics},
                                       links,
                                       options,
                                       actor});
    // Links that contradict each other block the deployment; stale ones are
    // worth a warning. Said first.
    if (!link_problems.items.empty()) {
        link_problems.append(std::move(parts.head.diagnostics));
        parts.head.diagnostics = std::move(link_problems);
    }
    return parts;
}

Plan plan_between(const LoadedWorkspace& source, const LoadedWorkspace& target, const PlanOptions& options,
                  const std::string& actor) {
    LinkSet links;
    return assemble(plan_parts_between(source, target, options, actor, links));
}

int print_plan(const Context& ctx, const Plan& plan) {
    ctx.reporter->plan(plan);
    return 0;
}

int plan_exit_code(const Plan& plan, bool detailed) {
    if (plan.status == PlanStatus::blocked) return kFailed;
    if (detailed && plan.status == PlanStatus::ok) return kChanges;
    return kOk;
}

bool save_plan(const Plan& plan, const std::string& path, const PlanWritten* written) {
    nlohmann::json extra = nlohmann::json::object();
    if (written) extra["written"] = written_json(*written);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    print_plan_json(out, plan, extra);
    out << "\n";
    if (!out) usage_error("cannot write " + path);
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
    bool saved = true;
    auto written =
        run_transaction({*repo}, transaction, [&](int attempt) -> std::expected<std::vector<Write>, Diagnostics> {
            auto made = make(attempt);
            if (!made) return std::unexpected(std::move(made.error()));
            last = std::move(*made);
            const Plan& plan = last->plan;
            // --out holds the plan that is written (the last one, when T
            // moved), or would be, whatever it says, as with --dry-run.
            if (!options.out.empty()) saved = save_plan(plan, options.out);
            // All or nothing: a blocked plan or one without changes writes nothing.
            if (plan.status != PlanStatus::ok) return std::vector<Write>{};
            return std::vector<Write>{deployment_write(plan, last->target.workspace, **repo, options.message)};
        });
    if (!written) {
        // Said in the plan's words: it is the plan that went stale.
        for (Diagnostic& d : written.error().items) {
            if (d.code == code::stale_plan && last)
                d.message = to + "'s branch " + last->plan.to.ref + " moved since the plan was made";
        }
        return fail(std::move(written.error()));
    }
    Plan& plan = last->plan;
    plan.diagnostics.append(std::move(written->warnings));
    if (plan.status != PlanStatus::ok) {
        if (!saved) return kFailed;
        print_plan(ctx, plan);
        return plan_exit_code(plan, options.detailed_exitcode);
    }
    const bool committed = !written->written.empty();
    PlanWritten what{plan.to.workspace, options.branch.empty() ? plan.to.ref : options.branch, "",
                     options.push || (*repo)->remote()};
    if (committed) {
        const Written& w = written->written.front();
        what = {w.workspace, w.branch, w.commit, w.pushed};
        // --out holds what --format json prints: the plan and what was written.
        if (!options.out.empty() && !save_plan(plan, options.out, &what)) return kFailed;
    }
    if (options.plan_shown) {
        ctx.reporter->written(what);
    } else {
        ctx.reporter->plan(plan, what);
    }
    return options.detailed_exitcode && committed ? kChanges : kOk;
}

}  // namespace ferry::cli
