// SPEC 7: a plan's digest, a hash of what the plan would write.
#include "ferry/plan/plan.hpp"
#include "ferry/render/render.hpp"
#include "ferry/util/sha256.hpp"

namespace ferry {

std::string plan_digest(const Plan& plan) {
    using json = nlohmann::json;
    // What lands in T's commit, and nothing else: each written resource
    // whole (its file is a function of it: the canonical form), the links
    // recorded and the drafts removed. Commits, refs, the actor and the
    // diffs are left out, so that the same deployment made on a moved T (a
    // merge commit instead of a pull request's) has the same digest.
    //
    // Hashed as the compact dump of {changes: [{action, address, after,
    // mode}], drafts_replaced, links: [{a, b, kind}], to} would read (keys
    // sorted; nlohmann has one spelling per number, so the same values give
    // the same bytes on every machine), written piece by piece: a plan of
    // 30,000 resources is never copied to be hashed.
    auto dump = [](const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); };
    Sha256 hash;
    hash.update("{\"changes\":[");
    for (std::size_t i = 0; i < plan.changes.size(); ++i) {
        const Change& c = plan.changes[i];
        hash.update(i == 0 ? "{\"action\":" : ",{\"action\":")
            .update(dump(action_name(c.action)))
            .update(",\"address\":")
            .update(dump(address(plan.to.workspace, c.kind, c.id)))
            .update(",\"after\":")
            .update(dump(c.after))
            .update(",\"mode\":")
            .update(dump(mode_name(c.mode)))
            .update("}");
    }
    json links = json::array();
    for (const PlannedLink& l : plan.links)
        links.push_back({{"kind", kind_name(l.kind)}, {"a", l.source_id}, {"b", l.target_id}});
    hash.update("],\"drafts_replaced\":")
        .update(dump(plan.drafts_replaced))
        .update(",\"links\":")
        .update(dump(links))
        .update(",\"to\":")
        .update(dump(plan.to.workspace))
        .update("}");
    return "sha256:" + hash.hex();
}

bool is_plan_digest(std::string_view text) {
    constexpr std::string_view prefix = "sha256:";
    if (!text.starts_with(prefix) || text.size() != prefix.size() + 64) return false;
    return text.substr(prefix.size()).find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace ferry
