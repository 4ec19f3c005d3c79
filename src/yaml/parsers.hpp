// The two YAML readers behind yaml::parse, for the parser itself and for
// the tests and fuzz target that hold them to each other.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/yaml/yaml.hpp"

namespace ferry::yaml::detail {

// The YAML that workspace files are nearly always made of: block maps and
// sequences, one-line plain and quoted scalars, one-line flow collections of
// scalars, and plain folded or literal block scalars, in ASCII. It builds the
// same document libyaml's events would, several times faster. Anything else,
// and anything libyaml would refuse, it leaves alone (nullopt, `builder`
// empty): the full parser then reads the file and gives the diagnostic.
std::optional<Document> parse_block_subset(std::string_view input, const Limits& limits, Builder& builder);

// How a plain scalar is typed (YAML 1.2 core schema), and its one spelling
// when it has another (hex and octal integers): both readers use this.
Type resolve_plain_scalar(std::string_view text, std::string& canonical);

// libyaml, for any YAML. `input` has been checked as UTF-8.
std::expected<Document, ParseError> parse_full(std::string_view input, const Limits& limits, Builder& builder);

}  // namespace ferry::yaml::detail
