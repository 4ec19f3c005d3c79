// `ferry reconcile --from S[@REF] --to T ...` (SPEC 3.2, 4, 4.1).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

#include "deploy.hpp"
#include "ferry/plan/plan.hpp"
#include "ferry/render/render.hpp"
#include "plan_memo.hpp"
#include "session.hpp"

namespace ferry::cli {
namespace {

struct ReconcileArgs {
    std::string from, to;
    std::vector<std::string> select, exclude, link;
    bool all = false, with_schedule = false, include_dependencies = false;
    bool dry_run = false, detailed_exitcode = false, push = false, yes = false;
    std::string out, branch, message;
    std::string expect_digest;  // SPEC 7: the digest of the plan that was reviewed
};

// The command line checked, the organization open, both workspaces read.
struct PreparedPlan {
    std::unique_ptr<Organization> org;
    PlanOptions options;
    std::string actor;
    LoadedWorkspace source;
    LoadedWorkspace target;
    // A dry run's plan from the memo of an earlier one (nothing loaded
    // then), with S's and T's work-tree notes.
    std::optional<Plan> from_memo;
    std::vector<std::string> notes;
};

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

// On failure, the exit code (the problem already reported).
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
    if (args.dry_run) {
        auto plan = plan_from_memo(*prepared.org, {from, args.to, prepared.options, prepared.actor}, prepared.notes);
        if (plan) {
            prepared.from_memo = std::move(*plan);
            return prepared;
        }
        spdlog::debug("planning in full: {}", plan.error());
    }
    auto loaded = prepared.org->load_all({from, {args.to, {}}});
    for (auto& one : loaded) {
        if (!one) return fail(Diagnostics{{one.error()}});
    }
    prepared.source = std::move(*loaded[0]);
    prepared.target = std::move(*loaded[1]);
    prepared.notes = {prepared.source.worktree_note, prepared.target.worktree_note};
    return prepared;
}

// SPEC 7: `--expect-digest` refuses, writing nothing, a plan that differs
// from the one reviewed.
void check_digest(Plan& plan, const ReconcileArgs& args) {
    if (args.expect_digest.empty()) return;
    const std::string digest = plan_digest(plan);
    if (digest == args.expect_digest) return;
    Diagnostic d = error(code::plan_mismatch, "the plan from " + args.from + " to " + args.to +
                                                  " is not the one reviewed: it would write " + digest + ", not " +
                                                  args.expect_digest);
    d.hint = "review this plan (ferry reconcile --from " + args.from + " --to " + args.to +
             " --dry-run), then pass its digest, or leave out --expect-digest to deploy what it shows";
    plan.diagnostics.add(std::move(d));
    plan.status = PlanStatus::blocked;
}

int reconcile(const Context& ctx, const ReconcileArgs& args) {
    auto prepared = prepare_plan(ctx, args);
    if (!prepared) return prepared.error();
    PreparedPlan& p = *prepared;
    for (const std::string& note : p.notes) {
        if (!note.empty()) ctx.reporter->note(note);
    }
    Plan plan;
    if (p.from_memo) {
        plan = std::move(*p.from_memo);
    } else if (args.dry_run) {
        // Kept for the next dry run, which plans only what changed since.
        LinkSet links;
        PlanParts parts = plan_parts_between(p.source, p.target, p.options, p.actor, links);
        save_memo(*p.org, {parse_workspace_request(args.from), args.to, p.options, p.actor}, p.source, p.target, links,
                  parts);
        plan = assemble(std::move(parts));
    } else {
        plan = plan_between(p.source, p.target, p.options, p.actor);
    }
    check_digest(plan, args);
    if (args.dry_run) {
        if (!args.out.empty() && !save_plan(plan, args.out)) return kFailed;
        print_plan(ctx, plan);
        return plan_exit_code(plan, args.detailed_exitcode);
    }
    WriteOptions options{args.branch, args.message, args.out, args.push, args.detailed_exitcode};
    // SPEC 4: on a terminal, a deployment that would write is shown and
    // confirmed first (--yes skips the question). What was confirmed is
    // what is written: should T move meanwhile, the write is refused.
    bool confirmed = false;
    if (!args.yes && plan.status == PlanStatus::ok && ctx.reporter->can_confirm()) {
        print_plan(ctx, plan);
        if (!ctx.reporter->confirm("Deploy these changes to " + args.to + "?")) {
            ctx.reporter->note("nothing was written");
            return kFailed;
        }
        confirmed = true;
        options.plan_shown = true;
    }
    auto make = [&](int attempt) -> std::expected<Deployment, Diagnostics> {
        if (attempt == 1) return Deployment{std::move(p.target), std::move(plan)};
        // SPEC 4.2: another writer moved T's branch; plan again on the new tip.
        auto fresh = p.org->load({args.to, {}});
        if (!fresh) return std::unexpected(Diagnostics{{fresh.error()}});
        Plan again = plan_between(p.source, *fresh, p.options, p.actor);
        check_digest(again, args);
        return Deployment{std::move(*fresh), std::move(again)};
    };
    return deploy(ctx, *p.org, p.source.workspace.name, args.to, p.actor, make, options, !confirmed);
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
                sub.add_flag("--yes", args->yes, "write without asking, on a terminal too");
                sub.add_option("--expect-digest", args->expect_digest,
                               "refuse (plan-mismatch) unless the plan's digest is this sha256:HEX")
                    ->check(CLI::Validator(
                        [](std::string& text) -> std::string {
                            return is_plan_digest(text) ? "" : "'" + text + "' is not a plan digest (sha256:HEX)";
                        },
                        "sha256:HEX"));
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
