#include "ferry/write/files.hpp"

#include "ferry/schema/embedded.hpp"

namespace ferry {

std::string schema_comment(std::string_view schema_file) {
    // The file's folder inside the workspace: a draft is two folders down
    // (drafts/KIND/), a resource one (KIND/), links.yaml and workspace.yaml
    // at the top.
    std::string_view up = "../";
    if (schema_file.starts_with("draft-")) {
        up = "../../";
    } else if (schema_file == "links.schema.json" || schema_file == "workspace.schema.json") {
        up = "";
    }
    std::string line = "# yaml-language-server: $schema=";
    line += up;
    line += kSchemaFolder;
    line += '/';
    line += schema_file;
    line += '\n';
    return line;
}

std::string schema_file(Kind kind, bool draft) {
    // Kind names are plural folder names; schemas are named in the singular.
    std::string_view plural = kind_name(kind);
    std::string singular(plural.substr(0, plural.size() - 1));
    return (draft ? "draft-" : "") + singular + ".schema.json";
}

std::vector<std::pair<std::string, std::string>> editor_schema_files() {
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& s : schema::editor_schemas())
        files.emplace_back(std::string(kSchemaFolder) + "/" + std::string(s.name), std::string(s.text));
    return files;
}

}  // namespace ferry
