#include "ferry/write/files.hpp"

// FERRY_SCHEMA_BASE, written by CMake: where the schemas are installed, or
// where a team publishes them (-DFERRY_SCHEMA_BASE=...).
#include "schema_base.hpp"

namespace ferry {

std::string_view schema_base() {
    return FERRY_SCHEMA_BASE;
}

std::string schema_comment(std::string_view schema_file) {
    std::string line = "# yaml-language-server: $schema=";
    line += schema_base();
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

}  // namespace ferry
