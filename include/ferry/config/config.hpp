// ferry.yaml: finding it and reading it (SPEC 2.1).
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/model/diagnostic.hpp"

namespace ferry {

class ConnectorSchemas;

struct WorkspaceConfig {
    std::string name;
    std::filesystem::path repo;  // absolute; for a URL, its clone in the repository cache
    std::string url;             // the URL `repo:` names, if it names one
    std::string branch;          // empty: the repository's HEAD branch
    std::string path;            // folder inside the repository; empty for the root
    Location location;           // where ferry.yaml declares it
};

struct OrganizationConfig {
    std::filesystem::path file;
    std::vector<WorkspaceConfig> workspaces;  // in file order
    // SPEC 2.7: the connector schemas, with the organization's own from
    // connectors/KIND/TYPE.schema.json beside ferry.yaml (or in the folder
    // its `connectors:` names). Never null once loaded.
    std::shared_ptr<const ConnectorSchemas> connectors;

    const WorkspaceConfig* find(std::string_view name) const;
};

// --config FILE, else $FERRY_CONFIG, else ferry.yaml in the current folder or
// the nearest parent that has one.
std::expected<std::filesystem::path, Diagnostic> find_config(const std::string& flag);

std::expected<OrganizationConfig, Diagnostics> load_config(const std::filesystem::path& file);

// Whether `repo:` names a repository by URL, by git's rule: `scheme://...`,
// or scp-like `[user@]host:path` with no slash before the first colon.
bool is_repository_url(std::string_view repo);

// Where a URL's clone is kept: under $FERRY_REPO_CACHE, else
// $XDG_CACHE_HOME/ferry/repos, else ~/.cache/ferry/repos, in a folder named
// after the URL and a hash of it; an error when none of these is set.
std::expected<std::filesystem::path, std::string> repository_cache(std::string_view url);

}  // namespace ferry
