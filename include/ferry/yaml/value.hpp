// ferry's YAML trees as JSON values: what the planner rewrites and diffs,
// and what schema checks and plans hold.
#pragma once

#include <nlohmann/json.hpp>

#include "ferry/yaml/yaml.hpp"

namespace ferry {

// Typed by the YAML core schema: integers stay integers, strings strings.
nlohmann::json to_json(yaml::Node node);

// Whether two nodes become equal JSON values (map order aside), without
// building either: how a plan tells, in place, that a resource is unchanged.
bool same_value(yaml::Node a, yaml::Node b);
// The same for a node and a JSON value.
bool same_value(yaml::Node a, const nlohmann::json& b);

}  // namespace ferry
