// In-memory workspaces for unit tests: a valid tree that each test bends.
#pragma once

#include <optional>
#include <string>

#include "ferry/load/workspace_loader.hpp"

namespace ferry::test {

inline MemoryTree valid_tree() {
    MemoryTree t;
    t.add("workspace.yaml",
          "name: Dev\norganization: acme\nmembers:\n  alice@acme.com: admin\nalerts:\n  oncall: { type: pagerduty }\n");
    t.add("sources/wh.yaml", "name: Warehouse\ntype: snowflake\nconfig: { account: acme, password: { secret: PW } }\n");
    t.add("destinations/sf.yaml", "name: Salesforce\ntype: salesforce\n");
    t.add("models/users.yaml", "name: Users\nsource: wh\ntype: sql\nsql: select 1\n");
    t.add("syncs/users-sf.yaml", "name: Users to SF\nmodel: users\ndestination: sf\nalerts: [oncall]\n");
    return t;
}

inline LoadedWorkspace load(const MemoryTree& tree, std::string name = "dev") {
    return load_workspace(std::make_shared<MemoryTree>(tree), {std::move(name), "", "main", std::string(40, 'a')});
}

// A copy, so that it outlives the diagnostics it was found in.
inline std::optional<Diagnostic> find_code(const Diagnostics& d, std::string_view code) {
    for (const auto& item : d.items) {
        if (item.code == code) return item;
    }
    return std::nullopt;
}

}  // namespace ferry::test
