// "Did you mean": the known name closest to a mistyped one, shared by the
// schema checks, the command line and every lookup by name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry {

// The closest of `candidates` to `word`, if it is close enough to suggest.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace ferry
