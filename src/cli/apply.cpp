// Writing a deployment: one commit in T's repository (SPEC 4.2).
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "reconcile.hpp"
#include "session.hpp"
#include "ferry/model/linking.hpp"
#include "ferry/render/render.hpp"
#include "ferry/write/files.hpp"

namespace ferry::cli {
namespace {

// Enough for a handful of concurrent deployments to one branch: each round, one wins.
constexpr int kAttempts = 25;

// The path a resource of T already has (x.yml stays x.yml), else x.yaml.
std::string resource_path(const Resource* existing, Kind kind, const std::string& id, bool draft, const Workspace& ws) {
    if (existing) {
        std::string prefix = ws.root.empty() ? "" : ws.root + "/";
        return existing->file.substr(prefix.size());
    }
    return std::string(draft ? "drafts/" : "") + std::string(kind_name(kind)) + "/" + id + ".yaml";
}

}  // namespace

std::vector<git::FileChange> plan_files(const Plan& plan, const Workspace& target) {
    std::vector<git::FileChange> files;
    for (const Change& c : plan.changes) {
        const Resource* published = target.find(c.kind, c.id);
        const Resource* draft = target.find_draft(c.kind, c.id);
        std::string text = render_resource(c.kind, c.after);
        if (c.mode == Mode::publish) {
            files.push_back({resource_path(published, c.kind, c.id, false, target), std::move(text)});
            // SPEC 3.2: a deployment replaces any draft of what it writes.
            if (draft) files.push_back({resource_path(draft, c.kind, c.id, true, target), std::nullopt});
        } else {
            // A draft: the published file is left untouched.
            files.push_back({resource_path(draft, c.kind, c.id, true, target), std::move(text)});
        }
    }
    if (!plan.links.empty()) {
        std::vector<NewLink> added;
        for (const PlannedLink& l : plan.links)
            added.push_back({l.kind, l.target_id, l.source_id});
        files.push_back({"links.yaml", render_links_file(with_links(target.links, plan.from.workspace, added))});
    }
    return files;
}

std::string plan_commit_message(const Plan& plan, const std::string& summary_line) {
    std::string message = summary_line.empty()
                              ? "Deploy " + plan.from.workspace + "@" + plan.from.commit.substr(0, 12) + " to " +
                                    plan.to.workspace + ": " + std::to_string(plan.count(Action::create)) +
                                    " created, " + std::to_string(plan.count(Action::update)) + " updated"
                              : summary_line;
    message += "\n\n";
    for (Action action : {Action::create, Action::update}) {
        bool any = false;
        for (const Change& c : plan.changes) {
            if (c.action != action) continue;
            if (!any) message += action == Action::create ? "Created:\n" : "Updated:\n";
            any = true;
            message += "- " + address(plan.to.workspace, c.kind, c.id) + " from " +
                       address(plan.from.workspace, c.kind, c.origin_id) + (c.mode == Mode::draft ? " (draft)" : "") +
                       "\n";
        }
        if (any) message += "\n";
    }
    if (!plan.links.empty()) {
        message += "Linked:\n";
        for (const PlannedLink& l : plan.links) {
            message += "- " + address(plan.to.workspace, l.kind, l.target_id) + " <-> " +
                       address(plan.from.workspace, l.kind, l.source_id) + "\n";
        }
        message += "\n";
    }
    if (!plan.drafts_replaced.empty()) {
        message += "Drafts replaced:\n";
        for (const std::string& d : plan.drafts_replaced)
            message += "- " + d + "\n";
        message += "\n";
    }
    message += "Ferry-From: " + plan.from.workspace + "@" + plan.from.commit + "\n";
    message += "Ferry-Actor: " + plan.actor + "\n";
    return message;
}

bool save_plan(const Plan& plan, const std::string& path) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << json_text(plan_json(plan)) << "\n";
    if (!out) std::cerr << "error[usage]: cannot write " << path << "\n";
    return static_cast<bool>(out);
}

int write_plan(const Context& ctx, Organization& org, LoadedWorkspace target, Plan plan, const WriteOptions& options,
               const Replan& replan) {
    std::mt19937 jitter(std::random_device{}());
    finish_interrupted_writes(org, {plan.to.workspace});
    for (int attempt = 1;; ++attempt) {
        // All or nothing: a blocked plan or one without changes writes nothing.
        if (plan.status != PlanStatus::ok) {
            // --out saves the plan whatever it says, as with --dry-run.
            if (!options.out.empty() && !save_plan(plan, options.out)) return kFailed;
            print_plan(ctx, plan);
            return plan_exit_code(plan, options.detailed_exitcode);
        }
        auto fail = [&](Diagnostic d) {
            plan.diagnostics.add(std::move(d));
            print_plan(ctx, plan);
            return kFailed;
        };
        auto repo = org.repository(**org.workspace(plan.to.workspace));
        if (!repo) return fail(repo.error());
        git::CommitRequest request;
        request.branch = plan.to.ref;
        request.base_commit = plan.to.commit;
        request.new_branch = options.branch;
        request.message = plan_commit_message(plan, options.message);
        request.author = author_for(plan.actor, **repo);
        for (auto& f : plan_files(plan, target.workspace)) {
            request.changes.push_back({target.workspace.file(f.path), std::move(f.content)});
        }
        // --out holds the plan that is written, the last one when T moved.
        if (!options.out.empty()) save_plan(plan, options.out);
        auto commit = (*repo)->commit(request);
        if (!commit && commit.error().kind == git::WriteFailure::Kind::moved && replan && attempt < kAttempts) {
            // SPEC 4.2: another writer moved T's branch; plan again on the new tip.
            auto fresh = org.load({plan.to.workspace, {}});
            if (!fresh) return fail(fresh.error());
            target = std::move(*fresh);
            plan = replan(target);
            // Back off a little, differently in each process, so that the
            // writers that lost this round do not collide again at once.
            std::this_thread::sleep_for(std::chrono::milliseconds(5 + jitter() % (10 * attempt)));
            continue;
        }
        if (!commit) {
            Diagnostic d = write_failure(commit.error(), plan.to.workspace);
            if (commit.error().kind == git::WriteFailure::Kind::moved) {
                d.message = plan.to.workspace + "'s branch " + plan.to.ref + " moved since the plan was made";
                d.hint = "plan again: ferry reconcile --from " + plan.from.workspace + " --to " + plan.to.workspace;
            }
            return fail(std::move(d));
        }
        std::string branch = options.branch.empty() ? plan.to.ref : options.branch;
        // A repository named by URL was pushed by the commit itself.
        bool pushed = options.push || (*repo)->remote();
        if (options.push && !(*repo)->remote() && *commit) {
            if (auto sent = (*repo)->push(branch); !sent) {
                // A deployment that did not reach the remote is not left
                // half-done locally: running it again retries the whole.
                if (auto undone = (*repo)->undo(request, **commit); !undone) {
                    spdlog::warn("{}: {}", plan.to.workspace, undone.error().message);
                }
                return fail(write_failure(sent.error(), plan.to.workspace));
            }
        }
        if (ctx.output.format == Format::json) {
            nlohmann::json out = plan_json(plan);
            out["written"] = {{"workspace", plan.to.workspace},
                              {"branch", branch},
                              {"commit", commit->value_or("")},
                              {"pushed", pushed}};
            std::cout << json_text(out) << "\n";
        } else {
            print_plan(ctx, plan);
            if (ctx.output.format == Format::text && !ctx.output.quiet && *commit) {
                std::cout << "Committed " << commit->value().substr(0, 12) << " to " << plan.to.workspace << " ("
                          << branch << ")" << (pushed ? ", pushed" : "") << ".\n";
            }
        }
        return options.detailed_exitcode && *commit ? kChanges : kOk;
    }
}

int apply_reconcile(const Context& ctx, const ReconcileArgs& args, PreparedPlan prepared, Plan plan) {
    WriteOptions options{args.branch, args.message, args.out, args.push, args.detailed_exitcode};
    Organization& org = *prepared.org;
    LoadedWorkspace target = std::move(prepared.target);
    auto replan = [&](const LoadedWorkspace& fresh) { return plan_prepared(prepared, &fresh); };
    return write_plan(ctx, org, std::move(target), std::move(plan), options, replan);
}

}  // namespace ferry::cli
