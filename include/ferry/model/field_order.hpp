// The order of a resource's fields as ferry writes them (SPEC 4.2): a fixed
// order per kind, then the rest sorted. Written files and plans that show a
// created resource list fields in this one order.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/model/workspace.hpp"

namespace ferry {

// The keys a resource of `kind` starts with, in order.
std::span<const std::string_view> field_order(Kind kind);
// The same for the nested mappings whose order is known (`schedule`,
// `draft`, each of `mappings`), by the key that holds them.
std::span<const std::string_view> nested_field_order(std::string_view key);
// `object`'s keys: those of `first` that it has, in that order, then the
// rest sorted.
std::vector<std::string> ordered_keys(const nlohmann::json& object, std::span<const std::string_view> first);

}  // namespace ferry
