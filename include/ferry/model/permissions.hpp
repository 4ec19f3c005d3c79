// Who may do what in a workspace (SPEC 2.3), decided in one place for every
// command and for the planner.
#pragma once

#include <string>
#include <string_view>

#include "ferry/model/workspace.hpp"

namespace ferry {

// The actor's level on `kind`: their own entry, else the "*" entry, else
// none. A workspace with no members grants nothing to anyone. Emails
// compare without regard to letter case.
Level level_of(const Workspace& ws, std::string_view actor, Kind kind);
// Admins may approve and publish drafts that requested approval.
bool is_admin(const Workspace& ws, std::string_view actor);

std::string_view level_name(Level level);
std::string lowercase(std::string_view text);

}  // namespace ferry
