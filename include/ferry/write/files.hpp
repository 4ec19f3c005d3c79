// The model -> canonical YAML files. Same input, same bytes: a second run
// of the same change is a no-op, and reviewers see clean diffs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/model/workspace.hpp"

namespace ferry {

// The first line of every YAML file ferry writes, for editors that run the
// YAML language server: `# yaml-language-server: $schema=BASE/FILE`. BASE
// is fixed when ferry is configured (the installed schemas' folder by
// default), so the same build always writes the same bytes.
std::string schema_comment(std::string_view schema_file);
std::string_view schema_base();
// The schema an editor should check a resource file of `kind` against: a
// draft's (the kind's fields and the `draft` block) when `draft` is set.
std::string schema_file(Kind kind, bool draft);

// links.yaml (SPEC 2.5): kinds in SPEC order, ids and workspaces sorted,
// each resource's links on one line, after the schema comment. Empty when
// there are no links.
std::string links_yaml(const std::vector<LinkEntry>& entries);

// A resource file (SPEC 4.2): the schema comment, then the kind's fields in
// a fixed order (a draft's `draft` block first), then any others sorted;
// block style; strings that would read back as something else quoted;
// multi-line strings as literal blocks; a final newline.
std::string resource_yaml(Kind kind, const nlohmann::json& resource);

// workspace.yaml (SPEC 2.3), as `ferry init` writes it: the schema comment,
// then name, organization, members, approvals, extensions, alerts.
std::string workspace_yaml(const nlohmann::json& workspace);

}  // namespace ferry
