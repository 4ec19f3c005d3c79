// Small pieces shared by the canonical YAML writers.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string_view>

#include "ferry/yaml.hpp"

namespace ferry {

// A string that a reader would take for something else unquoted (`true`,
// `12`, `~`) is double-quoted, so it reads back as the same string.
inline void emit_string(YAML::Emitter& out, std::string_view text) {
    if (yaml::plain_type(text) != yaml::Type::string) out << YAML::DoubleQuoted;
    out << std::string(text);
}

}  // namespace ferry
