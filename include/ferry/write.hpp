// The model -> canonical YAML files. Same input, same bytes: a second run
// of the same change is a no-op, and reviewers see clean diffs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ferry/model.hpp"

namespace ferry {

// links.yaml (SPEC 2.5): kinds in SPEC order, ids and workspaces sorted,
// each resource's links on one line. Empty when there are no links.
std::string render_links_file(const std::vector<LinkEntry>& entries);

// A resource file (SPEC 4.2): the kind's fields in a fixed order (a draft's
// `draft` block first), then any others sorted; block style; strings that
// would read back as something else quoted; multi-line strings as literal
// blocks; a final newline.
std::string render_resource(Kind kind, const nlohmann::json& resource);

}  // namespace ferry
