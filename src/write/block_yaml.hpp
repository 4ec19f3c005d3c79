// The YAML of every file ferry writes: JSON values in block style, with the
// bytes yaml-cpp 0.7.0's emitter gave them (files written before keep
// their bytes, and a second run of the same change stays a no-op), but for
// a DEL, which yaml-cpp left raw in a double-quoted string and is escaped.
// ferry writes them itself (block_yaml.cpp): yaml-cpp tries its patterns
// at every character of every string, which was most of a large
// deployment's CPU. yaml-cpp stays for the rare input whose bytes are not
// worth copying by hand, and as the reference the tests hold the two to.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

namespace ferry::detail {

// Whether `s` holds what a YAML reader takes for a line break besides
// "\n" (CR, NEL, LS, PS), a NUL or a DEL: written raw in a plain scalar or
// a literal block, the file would not read back as `s` (or not at all), so
// such a string is always written double-quoted, where each is escaped.
inline bool has_other_break(std::string_view s) {
    return s.find_first_of(std::string_view("\r\0\x7f", 3)) != std::string_view::npos ||
           s.find("\xc2\x85") != std::string_view::npos || s.find("\xe2\x80\xa8") != std::string_view::npos ||
           s.find("\xe2\x80\xa9") != std::string_view::npos;
}

// A literal block (`|`) reads back as its lines plus exactly one newline,
// and yaml-cpp writes no chomping or indentation indicators: only text of
// that shape goes into one, without its final newline.
inline bool fits_literal_block(std::string_view s) {
    return s.size() > 1 && s.back() == '\n' && s[s.size() - 2] != '\n' && s.front() != ' ' && s.front() != '\n' &&
           s.find('\t') == std::string_view::npos && !has_other_break(s);
}

// `value` in block style, its keys in the order of `order` (nested mappings
// in that of model/field_order.hpp), appended to `out` without a final
// newline. False, with `out` as it was, for an input left to yaml-cpp.
bool write_block_yaml(const nlohmann::json& value, std::span<const std::string_view> order, std::string& out);

// The same document through yaml-cpp's emitter: what ferry wrote before,
// and still writes where write_block_yaml() declines.
std::string block_yaml_by_yaml_cpp(const nlohmann::json& value, std::span<const std::string_view> order);

}  // namespace ferry::detail
