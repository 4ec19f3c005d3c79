// What a reviewer reads for one resource's change (SPEC 4.1), before any
// format is applied: one line per field changed, a line diff for a value
// that spans lines, YAML for nested values, a created resource's fields in
// the order its file has them. Text, markdown and `history --patch` print
// these lines; private to render/.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ferry/model/workspace.hpp"
#include "ferry/plan/plan.hpp"

namespace ferry {

struct DiffLine {
    // '+' added, '-' removed, ' ' context or a changed field's own line,
    // '@' the position of a hunk in a long value (`@@ -12,7 +12,8 @@`).
    char sign;
    std::string text;  // raw: the caller escapes it for its format
};

// `before` null: a created resource, every field added in file order;
// `after` null: a removed one. Otherwise each changed field.
std::vector<DiffLine> resource_lines(Kind kind, const nlohmann::json& before, const nlohmann::json& after);
// A planned change: its diff, or for a create its whole `after`.
std::vector<DiffLine> change_lines(const Change& change);

// Two texts as a line diff under `name:`.
std::vector<DiffLine> text_lines(const std::string& name, const std::string& before, const std::string& after);

// `sign` and `text` as one line: `+ text`, `@@ ... @@`.
std::string joined(const DiffLine& line);

}  // namespace ferry
