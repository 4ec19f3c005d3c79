// `ferry apply PLAN.json`: writes exactly a saved plan (SPEC 4).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "deploy.hpp"
#include "ferry/model/permissions.hpp"
#include "ferry/render/render.hpp"
#include "plan_file.hpp"
#include "session.hpp"

namespace ferry::cli {
namespace {

// Far beyond a plan of tens of thousands of changes (repeated diagnostics
// are grouped), far below what would exhaust a CI runner's memory.
constexpr std::uintmax_t kMaxPlanFileBytes = 64u << 20;

// Whether `from.ref` (in from.workspace's repository) is or follows from.commit.
std::expected<void, Diagnostic> ref_holds(Organization& org, const WorkspaceAt& from) {
    auto config = org.workspace(from.workspace);
    if (!config) return std::unexpected(config.error());
    auto repo = org.repository(**config);
    if (!repo) return std::unexpected(repo.error());
    auto resolved = (*repo)->resolve((*config)->branch, from.ref);
    std::expected<bool, std::string> reached =
        resolved ? (*repo)->reaches(resolved->commit, from.commit) : std::unexpected(resolved.error());
    if (reached && *reached) return {};
    return std::unexpected(plan_mismatch(
        "the plan says it was made from " + from.workspace + "@" + from.ref + ", which does not hold its commit " +
            from.commit.substr(0, 12) + (reached ? "" : " (" + reached.error() + ")"),
        "fetch " + from.ref + " if it is gone from this clone, or plan again with ferry reconcile --out"));
}

int apply(const Context& ctx, const std::string& path, const WriteOptions& options) {
    auto fail = [&](Diagnostic d) {
        return finish(ctx, {{"status", "blocked"}}, Diagnostics{{std::move(d)}}, kFailed);
    };
    // A plan file is refused before it is read when no plan could be that
    // large: parsing JSON takes many times its size in memory.
    std::error_code ec;
    if (auto size = std::filesystem::file_size(path, ec); !ec && size > kMaxPlanFileBytes) {
        return fail(plan_mismatch(path + " is " + std::to_string(size) + " bytes; a plan file is at most " +
                                  std::to_string(kMaxPlanFileBytes >> 20) + " MiB"));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(error(code::plan_mismatch, "cannot read " + path));
    std::stringstream text;
    text << in.rdbuf();
    auto file = read_plan_file(text.str(), path);
    if (!file) return fail(file.error());
    const PlanClaims* claims = &file->claims;

    // The plan was checked for its actor; applying it as someone else would
    // write what was never checked for them.
    std::string explicit_actor = ctx.actor;
    if (const char* env = std::getenv("FERRY_ACTOR"); explicit_actor.empty() && env && *env) explicit_actor = env;
    if (!explicit_actor.empty() && lowercase(explicit_actor) != lowercase(claims->actor)) {
        return fail(plan_mismatch("the plan was made for " + claims->actor + ", not " + explicit_actor,
                                  "plan again as " + explicit_actor + ": ferry reconcile --from " +
                                      claims->from.workspace + " --to " + claims->to.workspace + " --out " + path));
    }
    auto org = open_organization(ctx);
    if (!org) return finish(ctx, {{"status", "blocked"}}, org.error(), kFailed);
    if (auto unknown = unknown_workspaces(*org, {claims->from.workspace, claims->to.workspace}); unknown.has_errors()) {
        return finish(ctx, {{"status", "blocked"}}, unknown, kFailed);
    }
    // SPEC 4: the plan is made again from the commits, options and actor it
    // names, and only a plan identical to the file is written.
    auto make = [&](int) -> std::expected<Deployment, Diagnostics> {
        auto refuse = [](Diagnostic d) { return std::unexpected(Diagnostics{{std::move(d)}}); };
        auto loaded = org->load_all({{claims->from.workspace, claims->from.commit}, {claims->to.workspace, {}}});
        auto& source = loaded[0];
        auto& target = loaded[1];
        if (!source) return refuse(plan_mismatch("the plan's source commit cannot be read: " + source.error().message));
        if (!target) return refuse(target.error());
        if (target->workspace.commit != claims->to.commit) {
            Diagnostic d =
                error(code::stale_plan, claims->to.workspace + "'s branch " + target->workspace.ref +
                                            " moved since the plan was made (" + claims->to.commit.substr(0, 12) +
                                            " -> " + target->workspace.commit.substr(0, 12) + ")");
            d.hint = "plan again: ferry reconcile --from " + claims->from.workspace + " --to " + claims->to.workspace +
                     " --out " + path;
            return refuse(std::move(d));
        }
        // The ref a plan names is shown to its reviewers, not derived: it
        // must still name the commit the plan was made from (or one after it).
        if (auto held = ref_holds(*org, claims->from); !held) return refuse(std::move(held.error()));
        source->workspace.ref = claims->from.ref;
        Plan plan = plan_between(*source, *target, claims->options, claims->actor);
        if (plan_json(plan) != file->plan) {
            return refuse(plan_mismatch(path +
                                        " is not the plan ferry makes from the commits, options and actor it names "
                                        "(edited by hand, or made by another version of ferry)"));
        }
        return Deployment{std::move(*target), std::move(plan)};
    };
    return deploy(ctx, *org, claims->from.workspace, claims->to.workspace, claims->actor, make, options, false);
}

}  // namespace

Command apply_command() {
    return {"apply", "write exactly a plan saved with reconcile --out", [](CLI::App& sub) {
                auto path = std::make_shared<std::string>();
                auto options = std::make_shared<WriteOptions>();  // no --out: the plan is the file
                sub.add_option("plan", *path, "PLAN.json")->required();
                add_branch_option(sub, options->branch);
                sub.add_flag("--push", options->push, "push the written branch");
                sub.footer(
                    "Example:\n  ferry reconcile --from dev --to prod --dry-run --out plan.json\n"
                    "  ferry apply plan.json");
                return [path, options](const Context& ctx) { return apply(ctx, *path, *options); };
            }};
}

}  // namespace ferry::cli
