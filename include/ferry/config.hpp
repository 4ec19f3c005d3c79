// ferry.yaml: finding it and reading it (SPEC 2.1).
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ferry/diagnostic.hpp"

namespace ferry {

struct WorkspaceConfig {
    std::string name;
    std::filesystem::path repo;  // absolute
    std::string branch;          // empty: the repository's HEAD branch
    std::string path;            // folder inside the repository; empty for the root
    Location location;           // where ferry.yaml declares it
};

struct OrganizationConfig {
    std::filesystem::path file;
    std::vector<WorkspaceConfig> workspaces;  // in file order

    const WorkspaceConfig* find(std::string_view name) const;
};

// --config FILE, else $FERRY_CONFIG, else ferry.yaml in the current folder or
// the nearest parent that has one.
std::expected<std::filesystem::path, Diagnostic> find_config(const std::string& flag);

std::expected<OrganizationConfig, Diagnostics> load_config(const std::filesystem::path& file);

}  // namespace ferry
