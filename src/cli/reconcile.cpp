// `ferry reconcile --from S[@REF] --to T ...` (SPEC 3.2, 4, 4.1).
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

#include "reconcile.hpp"
#include "session.hpp"
#include "ferry/plan/plan.hpp"

namespace ferry::cli {
namespace {

std::expected<LinkOption, std::string> parse_link_option(const std::string& text, const std::string& from,
                                                         const std::string& to) {
    auto eq = text.find('=');
    auto bad = [&](const std::string& why) {
        return std::unexpected("--link " + text + ": " + why + " (e.g. --link " + from + ":sources/x=" + to +
                               ":sources/y)");
    };
    if (eq == std::string::npos) return bad("expected A=B");
    auto a = parse_address(text.substr(0, eq));
    auto b = parse_address(text.substr(eq + 1));
    if (!a || !b) return bad("A and B must be addresses WORKSPACE:KIND/ID");
    if (a->workspace != from || b->workspace != to) return bad("A must be in " + from + " and B in " + to);
    if (!a->ref.empty() || !b->ref.empty()) return bad("addresses take no @REF here");
    if (a->kind != b->kind) return bad("A and B must be of the same kind");
    return LinkOption{a->kind, a->id, b->id};
}

void write_step_summary(const Plan& plan) {
    const char* path = std::getenv("GITHUB_STEP_SUMMARY");
    if (!path || !*path) return;
    std::ofstream out(path, std::ios::app);
    out << plan_markdown(plan) << "\n";
}

}  // namespace

std::expected<PreparedPlan, int> prepare_plan(const Context& ctx, const ReconcileArgs& args) {
    // Usage first: nothing is read before the command line makes sense.
    PreparedPlan prepared;
    for (auto [list, texts] :
         {std::pair{&prepared.options.select, &args.select}, std::pair{&prepared.options.exclude, &args.exclude}}) {
        for (const std::string& text : *texts) {
            auto p = parse_pattern(text);
            if (!p) {
                return std::unexpected(
                    usage_error("'" + text + "' is not a KIND/ID pattern (e.g. models/active-users, syncs/*)"));
            }
            list->push_back(std::move(*p));
        }
    }
    WorkspaceRequest from = parse_workspace_request(args.from);
    if (from.name.empty() || (args.from.find('@') != std::string::npos && from.ref.empty())) {
        return std::unexpected(usage_error("--from takes WORKSPACE or WORKSPACE@REF"));
    }
    if (args.to.empty() || args.to.find('@') != std::string::npos || args.to.find(':') != std::string::npos) {
        return std::unexpected(usage_error("--to takes a WORKSPACE: a deployment is written on its branch"));
    }
    if (from.name == args.to) return std::unexpected(usage_error("--from and --to name the same workspace"));
    prepared.options.all = args.all;
    prepared.options.with_schedule = args.with_schedule;
    prepared.options.include_dependencies = args.include_dependencies;
    for (const std::string& l : args.link) {
        auto option = parse_link_option(l, from.name, args.to);
        if (!option) return std::unexpected(usage_error(option.error()));
        prepared.options.links.push_back(*option);
    }

    auto fail = [&](Diagnostics d) { return std::unexpected(finish(ctx, {{"status", "blocked"}}, d, kFailed)); };
    auto org = open_organization(ctx);
    if (!org) return fail(org.error());
    prepared.org = std::make_unique<Organization>(std::move(*org));
    Diagnostics unknown = unknown_workspaces(*prepared.org, {from.name, args.to});
    if (unknown.has_errors()) return fail(std::move(unknown));
    auto actor = resolve_actor(ctx, *prepared.org, args.to);
    if (!actor) return fail(Diagnostics{{actor.error()}});
    prepared.actor = *actor;
    auto loaded = prepared.org->load_all({from, {args.to, {}}});
    for (auto& one : loaded) {
        if (!one) return fail(Diagnostics{{one.error()}});
    }
    prepared.source = std::move(*loaded[0]);
    prepared.target = std::move(*loaded[1]);
    return prepared;
}

Plan plan_prepared(const PreparedPlan& p, const LoadedWorkspace* target) {
    const LoadedWorkspace& to = target ? *target : p.target;
    Diagnostics link_problems;
    LinkSet links = resolve_links(p.source.workspace, to.workspace, link_problems);
    Plan plan = make_plan({{p.source.workspace, *p.source.documents, &p.source.diagnostics},
                           {to.workspace, *to.documents, &to.diagnostics},
                           links,
                           p.options,
                           p.actor});
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

namespace {

int reconcile(const Context& ctx, const ReconcileArgs& args) {
    auto prepared = prepare_plan(ctx, args);
    if (!prepared) return prepared.error();
    Plan plan = plan_prepared(*prepared);
    if (args.dry_run && !args.out.empty() && !save_plan(plan, args.out)) return kFailed;
    if (args.dry_run) {
        print_plan(ctx, plan);
        return plan_exit_code(plan, args.detailed_exitcode);
    }
    return apply_reconcile(ctx, args, std::move(*prepared), std::move(plan));
}

}  // namespace

Command reconcile_command() {
    return {"reconcile", "deploy models and syncs from one workspace to another", [](CLI::App& sub) {
                auto args = std::make_shared<ReconcileArgs>();
                sub.add_option("--from", args->from, "source workspace, WORKSPACE[@REF]")->required();
                sub.add_option("--to", args->to, "target workspace")->required();
                sub.add_option("--select", args->select, "add resources: KIND/ID, globs allowed (repeatable)");
                sub.add_flag("--all", args->all, "select every model and sync");
                sub.add_option("--exclude", args->exclude, "remove resources from the selection (repeatable)");
                sub.add_flag("--with-schedule", args->with_schedule, "deploy schedules too");
                sub.add_flag("--include-dependencies", args->include_dependencies,
                             "deploy a selected sync's unlinked model with it");
                sub.add_option("--link", args->link, "link A=B (sources, destinations) as part of the deployment");
                sub.add_flag("--dry-run", args->dry_run, "print the plan; write nothing");
                sub.add_option("--out", args->out, "save the plan as JSON");
                add_branch_option(sub, args->branch);
                sub.add_flag("--push", args->push, "push the written branch");
                sub.add_option("--message", args->message, "the commit message's summary line");
                sub.add_flag("--detailed-exitcode", args->detailed_exitcode, "exit 0 no changes, 2 changes, 1 blocked");
                sub.footer(
                    "Examples:\n"
                    "  ferry reconcile --from dev --to prod --dry-run\n"
                    "  ferry reconcile --from dev --to prod --select models/ltv --select syncs/ltv-to-salesforce\n"
                    "  ferry reconcile --from dev@refs/pull/7/head --to prod --dry-run --format markdown\n"
                    "  ferry reconcile --from dev --to prod --link dev:sources/app-db-dev=prod:sources/app-db --all");
                return [args](const Context& ctx) { return reconcile(ctx, *args); };
            }};
}

}  // namespace ferry::cli
