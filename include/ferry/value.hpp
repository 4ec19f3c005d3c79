// ferry's YAML trees as JSON values: what the planner rewrites and diffs,
// and what schema checks and plans hold.
#pragma once

#include <nlohmann/json.hpp>

#include "ferry/yaml.hpp"

namespace ferry {

// Typed by the YAML core schema: integers stay integers, strings strings.
nlohmann::json to_json(yaml::Node node);

}  // namespace ferry
