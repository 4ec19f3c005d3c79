// Writing a deployment: one commit in T's repository (SPEC 4.2).
#include <iostream>

#include "cli/reconcile.hpp"
#include "cli/session.hpp"
#include "ferry/linking.hpp"
#include "ferry/render.hpp"
#include "ferry/write.hpp"

namespace ferry::cli {
namespace {

constexpr int kAttempts = 5;

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
        Workspace with_new = target;
        for (const PlannedLink& l : plan.links) {
            with_new.links = with_link(with_new, l.kind, l.target_id, plan.from.workspace, l.source_id);
        }
        files.push_back({"links.yaml", render_links_file(with_new.links)});
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

int apply_reconcile(const Context& ctx, const ReconcileArgs& args, PreparedPlan prepared, Plan plan) {
    for (int attempt = 1;; ++attempt) {
        // All or nothing: a blocked plan or one without changes writes nothing.
        if (plan.status != PlanStatus::ok) {
            print_plan(ctx, plan);
            return plan_exit_code(plan, args.detailed_exitcode);
        }
        const WorkspaceConfig* config = *prepared.org->workspace(plan.to.workspace);
        auto repo = prepared.org->repository(*config);
        if (!repo) return finish(ctx, plan_json(plan), Diagnostics{{repo.error()}}, kFailed);
        git::CommitRequest request;
        request.branch = plan.to.ref;
        request.base_commit = plan.to.commit;
        request.new_branch = args.branch;
        request.message = plan_commit_message(plan, args.message);
        request.author = author_for(plan.actor, **repo);
        for (auto& f : plan_files(plan, prepared.target.workspace)) {
            request.changes.push_back({prepared.target.workspace.file(f.path), std::move(f.content)});
        }
        auto commit = (*repo)->commit(request);
        if (!commit && commit.error().kind == git::WriteFailure::Kind::moved && attempt < kAttempts) {
            // SPEC 4.2: another writer moved T's branch; plan again on the new tip.
            auto target = prepared.org->load({plan.to.workspace, {}});
            if (!target) return finish(ctx, plan_json(plan), Diagnostics{{target.error()}}, kFailed);
            prepared.target = std::move(*target);
            plan = plan_prepared(prepared);
            continue;
        }
        if (!commit) {
            Diagnostics d{{write_failure(commit.error(), plan.to.workspace)}};
            print_plan(ctx, plan);
            print_text(std::cerr, d, ctx.output);
            return kFailed;
        }
        std::string written_branch = args.branch.empty() ? plan.to.ref : args.branch;
        if (args.push) {
            if (auto pushed = (*repo)->push(written_branch); !pushed) {
                print_plan(ctx, plan);
                print_text(std::cerr, Diagnostics{{write_failure(pushed.error(), plan.to.workspace)}}, ctx.output);
                return kFailed;
            }
        }
        if (ctx.output.format == Format::json) {
            nlohmann::json out = plan_json(plan);
            out["written"] = {{"workspace", plan.to.workspace},
                              {"branch", written_branch},
                              {"commit", commit->value_or("")},
                              {"pushed", args.push}};
            std::cout << out.dump(2) << "\n";
        } else {
            print_plan(ctx, plan);
            if (ctx.output.format == Format::text && !ctx.output.quiet && *commit) {
                std::cout << "Committed " << commit->value().substr(0, 12) << " to " << plan.to.workspace << " ("
                          << written_branch << ")" << (args.push ? ", pushed" : "") << ".\n";
            }
        }
        return args.detailed_exitcode ? kChanges : kOk;
    }
}

}  // namespace ferry::cli
