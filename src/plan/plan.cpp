// The plan's own vocabulary: names of actions, modes and statuses as every
// format prints them, and counts.
#include <algorithm>

#include "ferry/plan/plan.hpp"

namespace ferry {

std::string_view action_name(Action action) {
    return action == Action::create ? "create" : "update";
}
std::string_view mode_name(Mode mode) {
    return mode == Mode::publish ? "publish" : "draft";
}
std::string_view status_name(PlanStatus status) {
    switch (status) {
        case PlanStatus::ok:
            return "ok";
        case PlanStatus::no_changes:
            return "no-changes";
        case PlanStatus::blocked:
            return "blocked";
    }
    return "?";
}

std::size_t Plan::count(Action action) const {
    return std::ranges::count_if(changes, [&](const Change& c) { return c.action == action; });
}

}  // namespace ferry
