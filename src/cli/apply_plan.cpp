// `ferry apply PLAN.json`: writes exactly a saved plan (SPEC 4).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/reconcile.hpp"
#include "cli/session.hpp"
#include "ferry/permissions.hpp"
#include "ferry/render.hpp"

namespace ferry::cli {
namespace {

Diagnostic mismatch(std::string message, std::string hint = {}) {
    Diagnostic d = error(code::plan_mismatch, std::move(message));
    d.hint = hint.empty() ? "make the plan again with ferry reconcile --out" : std::move(hint);
    return d;
}

// What a plan file says it was made from: enough to make it again.
struct Claimed {
    WorkspaceAt from, to;
    std::string actor;
    PlanOptions options;
};

std::expected<Claimed, Diagnostic> read_claims(const nlohmann::json& file) {
    try {
        if (file.at("format_version") != kPlanFormatVersion) {
            return std::unexpected(mismatch("the plan has format_version " + file.at("format_version").dump() +
                                            "; this ferry writes and applies version " +
                                            std::to_string(kPlanFormatVersion)));
        }
        Claimed c;
        for (auto [at, key] : {std::pair{&c.from, "from"}, std::pair{&c.to, "to"}}) {
            const auto& w = file.at(key);
            *at = {w.at("workspace").get<std::string>(), w.at("ref").get<std::string>(),
                   w.at("commit").get<std::string>()};
        }
        c.actor = file.at("actor").get<std::string>();
        const auto& o = file.at("options");
        c.options.select = o.at("select").get<std::vector<std::string>>();
        c.options.exclude = o.at("exclude").get<std::vector<std::string>>();
        c.options.all = o.at("all").get<bool>();
        c.options.with_schedule = o.at("with_schedule").get<bool>();
        c.options.include_dependencies = o.at("include_dependencies").get<bool>();
        for (const auto& text : o.at("link").get<std::vector<std::string>>()) {
            auto eq = text.find('=');
            auto a = parse_address(text.substr(0, eq));
            auto b = eq == std::string::npos ? std::nullopt : parse_address(text.substr(eq + 1));
            if (!a || !b || a->kind != b->kind)
                return std::unexpected(mismatch("the plan's --link '" + text + "' is not A=B"));
            c.options.links.push_back({a->kind, a->id, b->id});
        }
        for (const auto* list : {&c.options.select, &c.options.exclude}) {
            for (const auto& p : *list) {
                if (!parse_pattern(p))
                    return std::unexpected(mismatch("the plan's pattern '" + p + "' is not KIND/ID"));
            }
        }
        return c;
    } catch (const nlohmann::json::exception& e) {
        return std::unexpected(mismatch(std::string("the plan file is not a ferry plan: ") + e.what()));
    }
}

int apply(const Context& ctx, const std::string& path, const WriteOptions& options) {
    auto fail = [&](Diagnostic d) {
        return finish(ctx, {{"status", "blocked"}}, Diagnostics{{std::move(d)}}, kFailed);
    };
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(error(code::plan_mismatch, "cannot read " + path));
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json file = nlohmann::json::parse(text.str(), nullptr, false);
    if (file.is_discarded()) return fail(mismatch(path + " is not JSON"));
    if (!file.is_object()) return fail(mismatch(path + " is not a ferry plan"));
    auto claims = read_claims(file);
    if (!claims) return fail(claims.error());

    // The plan was checked for its actor; applying it as someone else would
    // write what was never checked for them.
    std::string explicit_actor = ctx.actor;
    if (const char* env = std::getenv("FERRY_ACTOR"); explicit_actor.empty() && env && *env) explicit_actor = env;
    if (!explicit_actor.empty() && lowercase(explicit_actor) != lowercase(claims->actor)) {
        return fail(mismatch("the plan was made for " + claims->actor + ", not " + explicit_actor,
                             "plan again as " + explicit_actor + ": ferry reconcile --from " + claims->from.workspace +
                                 " --to " + claims->to.workspace + " --out " + path));
    }
    auto org = open_organization(ctx);
    if (!org) return finish(ctx, {{"status", "blocked"}}, org.error(), kFailed);
    if (auto unknown = unknown_workspaces(*org, {claims->from.workspace, claims->to.workspace}); unknown.has_errors()) {
        return finish(ctx, {{"status", "blocked"}}, unknown, kFailed);
    }
    // SPEC 4: the plan is made again from the commits, options and actor it names.
    auto source = org->load({claims->from.workspace, claims->from.commit});
    if (!source) return fail(mismatch("the plan's source commit cannot be read: " + source.error().message));
    auto target = org->load({claims->to.workspace, {}});
    if (!target) return fail(target.error());
    if (target->workspace.commit != claims->to.commit) {
        Diagnostic d =
            error(code::stale_plan, claims->to.workspace + "'s branch " + target->workspace.ref +
                                        " moved since the plan was made (" + claims->to.commit.substr(0, 12) + " -> " +
                                        target->workspace.commit.substr(0, 12) + ")");
        d.hint = "plan again: ferry reconcile --from " + claims->from.workspace + " --to " + claims->to.workspace +
                 " --out " + path;
        return fail(std::move(d));
    }
    source->workspace.ref = claims->from.ref;
    PreparedPlan prepared{nullptr, claims->options, claims->actor, std::move(*source), std::move(*target)};
    Plan plan = plan_prepared(prepared);
    nlohmann::json expected = plan_json(plan);
    file.erase("written");
    if (expected != file) {
        return fail(mismatch(path + " is not the plan ferry makes from the commits, options and actor it names "
                                    "(edited by hand, or made by another version of ferry)"));
    }
    return write_plan(ctx, *org, std::move(prepared.target), std::move(plan), options, nullptr);
}

}  // namespace

Command apply_command() {
    return {"apply", "write exactly a plan saved with reconcile --out", [](CLI::App& sub) {
                auto path = std::make_shared<std::string>();
                auto options = std::make_shared<WriteOptions>();  // no --out: the plan is the file
                sub.add_option("plan", *path, "PLAN.json")->required();
                sub.add_option("--branch", options->branch, "write the commit on this new branch");
                sub.add_flag("--push", options->push, "push the written branch");
                sub.footer(
                    "Example:\n  ferry reconcile --from dev --to prod --dry-run --out plan.json\n"
                    "  ferry apply plan.json");
                return [path, options](const Context& ctx) { return apply(ctx, *path, *options); };
            }};
}

}  // namespace ferry::cli
