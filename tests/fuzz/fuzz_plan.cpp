// The plan file reader of `ferry apply PLAN.json` on arbitrary bytes: never
// a crash. A file it accepts is planned again, as apply does, from the
// sample dev and prod workspaces with the options it claims, and the plan
// ferry makes from those claims reads back with the same claims.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>

#include "cli/plan_file.hpp"
#include "ferry/load/workspace_loader.hpp"
#include "ferry/model/links.hpp"
#include "ferry/render/render.hpp"
#include "samples.hpp"

namespace {

// A sample workspace, loaded afresh for each input (workspaces are not
// copied: their resources stay where they were placed).
ferry::LoadedWorkspace sample(const char* name) {
    static const auto dev = std::make_shared<const ferry::MemoryTree>(ferry::fuzz::sample_tree("dev"));
    static const auto prod = std::make_shared<const ferry::MemoryTree>(ferry::fuzz::sample_tree("prod"));
    return name[0] == 'd' ? ferry::load_workspace(dev, {"dev", "", "main", std::string(40, 'd')})
                          : ferry::load_workspace(prod, {"prod", "", "main", std::string(40, 'e')});
}

void check(bool ok) {
    if (!ok) __builtin_trap();
}

bool same_claims(const ferry::cli::PlanClaims& x, const ferry::cli::PlanClaims& y) {
    auto at = [](const ferry::WorkspaceAt& w) { return std::tie(w.workspace, w.ref, w.commit); };
    auto link = [](const ferry::LinkOption& l) { return std::tie(l.kind, l.source_id, l.target_id); };
    const auto& o = x.options;
    const auto& p = y.options;
    return at(x.from) == at(y.from) && at(x.to) == at(y.to) && x.actor == y.actor && o.select == p.select &&
           o.exclude == p.exclude && o.all == p.all && o.with_schedule == p.with_schedule &&
           o.include_dependencies == p.include_dependencies &&
           std::ranges::equal(o.links, p.links, [&](const auto& l, const auto& m) { return link(l) == link(m); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto file = ferry::cli::read_plan_file(std::string_view(reinterpret_cast<const char*>(data), size), "plan.json");
    if (!file) return 0;
    const ferry::cli::PlanClaims& claims = file->claims;
    // Apply reads the named commits; here the samples stand in for them.
    ferry::LoadedWorkspace source = sample("dev");
    ferry::LoadedWorkspace target = sample("prod");
    source.workspace.name = claims.from.workspace;
    source.workspace.ref = claims.from.ref;
    source.workspace.commit = claims.from.commit;
    target.workspace.name = claims.to.workspace;
    target.workspace.ref = claims.to.ref;
    target.workspace.commit = claims.to.commit;
    ferry::Diagnostics link_problems;
    ferry::LinkSet links = ferry::resolve_links(source.workspace, target.workspace, link_problems);
    ferry::Plan plan = ferry::make_plan({{source.workspace, *source.documents, &source.diagnostics},
                                         {target.workspace, *target.documents, &target.diagnostics},
                                         links,
                                         claims.options,
                                         claims.actor});
    nlohmann::json remade = ferry::plan_json(plan);
    bool matches = remade == file->plan;
    (void)matches;
    // Whatever plan ferry makes from a file's claims, apply can read it back
    // (claims naming no possible workspace are refused before planning).
    if (!ferry::is_valid_id(claims.from.workspace) || !ferry::is_valid_id(claims.to.workspace)) return 0;
    auto again = ferry::cli::read_plan_file(remade.dump(2), "again.json");
    check(again.has_value());
    check(same_claims(again->claims, claims));
    check(again->plan == remade);
    return 0;
}
