// The model -> canonical YAML files. Same input, same bytes: a second run
// of the same change is a no-op, and reviewers see clean diffs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/model/workspace.hpp"

namespace ferry {

// Where a workspace keeps the schemas its files name, inside its folder;
// `ferry init` writes them there (editor_schema_files()).
inline constexpr std::string_view kSchemaFolder = ".ferry/schemas";
// The first line of every YAML file ferry writes, for editors that run the
// YAML language server: `# yaml-language-server: $schema=../.ferry/schemas/FILE`.
// SPEC 7: a path relative to the written file, into the workspace's own
// .ferry/schemas/, so that it resolves in any clone of the repository and
// is the same bytes whoever writes it, wherever ferry is installed.
std::string schema_comment(std::string_view schema_file);
// The files of a workspace's .ferry/schemas/ (paths inside the workspace,
// and their text), as `ferry init` writes them.
std::vector<std::pair<std::string, std::string>> editor_schema_files();
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
