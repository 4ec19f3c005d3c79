#pragma once

#include <string_view>
#include <vector>

namespace ferry::schema {

struct EmbeddedSchema {
    std::string_view name;  // file name in schemas/
    std::string_view text;
};

const std::vector<EmbeddedSchema>& embedded_schemas();
// What editors check a workspace's files against (SPEC 7): the schemas the
// `# yaml-language-server` line of written files names, draft-model and
// draft-sync included, which `ferry init` writes into .ferry/schemas/.
const std::vector<EmbeddedSchema>& editor_schemas();

}  // namespace ferry::schema
