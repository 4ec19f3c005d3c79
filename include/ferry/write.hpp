// The model -> canonical YAML files. Same input, same bytes: a second run
// of the same change is a no-op, and reviewers see clean diffs.
#pragma once

#include <string>
#include <vector>

#include "ferry/model.hpp"

namespace ferry {

// links.yaml (SPEC 2.5): kinds in SPEC order, ids and workspaces sorted,
// each resource's links on one line. Empty when there are no links.
std::string render_links_file(const std::vector<LinkEntry>& entries);

}  // namespace ferry
