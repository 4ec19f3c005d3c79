// A diagnostic is data: built where a problem is found, rendered by render/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

enum class Severity { error, warning };

// SPEC 6: every error and warning carries one of these stable codes.
namespace code {
inline constexpr std::string_view yaml_syntax = "yaml-syntax";
inline constexpr std::string_view schema = "schema";
inline constexpr std::string_view bad_id = "bad-id";
inline constexpr std::string_view duplicate_id = "duplicate-id";
inline constexpr std::string_view dangling_reference = "dangling-reference";
inline constexpr std::string_view plaintext_secret = "plaintext-secret";
inline constexpr std::string_view unsafe_tree = "unsafe-tree";
inline constexpr std::string_view config = "config";
inline constexpr std::string_view unknown_workspace = "unknown-workspace";
inline constexpr std::string_view unknown_resource = "unknown-resource";
inline constexpr std::string_view broad_grant = "broad-grant";
inline constexpr std::string_view link_kind_not_allowed = "link-kind-not-allowed";
inline constexpr std::string_view type_mismatch = "type-mismatch";
inline constexpr std::string_view different_organization = "different-organization";
inline constexpr std::string_view already_linked = "already-linked";
inline constexpr std::string_view not_linked = "not-linked";
inline constexpr std::string_view link_conflict = "link-conflict";
inline constexpr std::string_view stale_link = "stale-link";
inline constexpr std::string_view permission_denied = "permission-denied";
inline constexpr std::string_view not_deployable = "not-deployable";
inline constexpr std::string_view draft_only = "draft-only";
inline constexpr std::string_view unpublished_draft = "unpublished-draft";
inline constexpr std::string_view source_not_linked = "source-not-linked";
inline constexpr std::string_view model_not_linked = "model-not-linked";
inline constexpr std::string_view destination_not_linked = "destination-not-linked";
inline constexpr std::string_view missing_extension = "missing-extension";
inline constexpr std::string_view target_exists = "target-exists";
inline constexpr std::string_view target_draft_replaced = "target-draft-replaced";
inline constexpr std::string_view lands_as_draft = "lands-as-draft";
inline constexpr std::string_view schedule_not_deployed = "schedule-not-deployed";
inline constexpr std::string_view empty_selection = "empty-selection";
inline constexpr std::string_view unknown_file = "unknown-file";
inline constexpr std::string_view unknown_connector_type = "unknown-connector-type";
inline constexpr std::string_view stale_plan = "stale-plan";
inline constexpr std::string_view plan_mismatch = "plan-mismatch";
inline constexpr std::string_view worktree_dirty = "worktree-dirty";
inline constexpr std::string_view push_rejected = "push-rejected";
inline constexpr std::string_view git = "git";
inline constexpr std::string_view usage = "usage";
}  // namespace code

struct Location {
    std::string file;  // path inside the repository, as `git show REV:FILE` takes it
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    // The workspace whose repository holds `file` (SPEC 4.1: every location
    // names its workspace); empty for files outside any, such as ferry.yaml.
    std::string workspace;
};

struct Diagnostic {
    Severity severity = Severity::error;
    std::string_view code;
    std::string message;
    std::string address;  // WORKSPACE:KIND/ID for a resource's problem, WORKSPACE for a workspace's
    Location location;
    std::string hint;
};

Diagnostic error(std::string_view code, std::string message, Location location = {}, std::string address = {});
Diagnostic warning(std::string_view code, std::string message, Location location = {}, std::string address = {});

struct Diagnostics {
    std::vector<Diagnostic> items;

    void add(Diagnostic d) { items.push_back(std::move(d)); }
    void append(Diagnostics&& other);
    bool has_errors() const;
    // Errors and warnings in a stable order: by file, line, column, code.
    void sort();
};

}  // namespace ferry
