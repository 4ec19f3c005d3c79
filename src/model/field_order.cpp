#include "ferry/model/field_order.hpp"

#include <algorithm>
#include <array>

namespace ferry {

std::span<const std::string_view> field_order(Kind kind) {
    static constexpr std::array<std::string_view, 4> connection = {"draft", "name", "type", "config"};
    static constexpr std::array<std::string_view, 10> model = {"draft", "name", "source",      "type",        "sql",
                                                               "table", "dbt",  "primary_key", "description", "tags"};
    static constexpr std::array<std::string_view, 8> sync = {"draft",   "name",     "model",  "destination",
                                                             "enabled", "schedule", "alerts", "config"};
    static constexpr std::array<std::string_view, 4> audience = {"draft", "name", "model", "filter"};
    switch (kind) {
        case Kind::sources:
        case Kind::destinations:
            return connection;
        case Kind::models:
            return model;
        case Kind::syncs:
            return sync;
        case Kind::audiences:
            return audience;
    }
    return {};
}

std::span<const std::string_view> nested_field_order(std::string_view key) {
    static constexpr std::array<std::string_view, 5> schedule = {"type", "every", "expression", "job", "connector"};
    static constexpr std::array<std::string_view, 4> draft = {"author", "created", "approval", "origin"};
    static constexpr std::array<std::string_view, 2> mapping = {"from", "to"};
    if (key == "schedule") return schedule;
    if (key == "draft") return draft;
    if (key == "mappings") return mapping;
    return {};
}

std::vector<std::string> ordered_keys(const nlohmann::json& object, std::span<const std::string_view> first) {
    std::vector<std::string> keys;
    for (std::string_view k : first) {
        if (object.contains(k)) keys.emplace_back(k);
    }
    for (const auto& [k, v] : object.items()) {
        if (std::ranges::find(first, k) == first.end()) keys.push_back(k);  // already sorted
    }
    return keys;
}

}  // namespace ferry
