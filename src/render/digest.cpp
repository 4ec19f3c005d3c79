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
    json written = {{"to", plan.to.workspace},
                    {"changes", json::array()},
                    {"links", json::array()},
                    {"drafts_replaced", plan.drafts_replaced}};
    for (const Change& c : plan.changes) {
        written["changes"].push_back({{"address", address(plan.to.workspace, c.kind, c.id)},
                                      {"action", action_name(c.action)},
                                      {"mode", mode_name(c.mode)},
                                      {"after", c.after}});
    }
    for (const PlannedLink& l : plan.links) {
        written["links"].push_back({{"kind", kind_name(l.kind)}, {"a", l.source_id}, {"b", l.target_id}});
    }
    // nlohmann's dump sorts keys and has one spelling per number: the same
    // values give the same bytes on every machine.
    return "sha256:" + sha256_hex(written.dump(-1, ' ', false, json::error_handler_t::replace));
}

bool is_plan_digest(std::string_view text) {
    constexpr std::string_view prefix = "sha256:";
    if (!text.starts_with(prefix) || text.size() != prefix.size() + 64) return false;
    return text.substr(prefix.size()).find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace ferry
