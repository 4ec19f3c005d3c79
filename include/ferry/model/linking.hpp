// The rules of linking (SPEC 3.1) as pure functions of loaded workspaces,
// shared by `ferry link`, `ferry unlink` and `reconcile --link`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/model/diagnostic.hpp"
#include "ferry/model/links.hpp"
#include "ferry/model/workspace.hpp"

namespace ferry {

struct LinkRequest {
    Kind kind;
    std::string a_id;  // in workspace a
    std::string b_id;  // in workspace b
};

// Every rule that refuses linking a's resource to b's, each with its code:
// link-kind-not-allowed, unknown-resource, type-mismatch,
// different-organization, permission-denied, already-linked. `links` are
// the live links between a and b.
Diagnostics check_link(const Workspace& a, const Workspace& b, const LinkSet& links, const LinkRequest& request,
                       std::string_view actor);

// The resources of b that a's resource may be linked to: same kind and type,
// not linked yet. (Permissions are the caller's to check: they hold for all
// candidates or none.)
std::vector<const Resource*> link_candidates(const Workspace& a, const Workspace& b, const LinkSet& links, Kind kind,
                                             std::string_view a_id);

// A links.yaml's entries with `local_id` linked to `other_id` of
// `other_workspace`, dropping whatever the file said before about either
// of the two resources in that pair of workspaces.
std::vector<LinkEntry> with_link(const std::vector<LinkEntry>& links, Kind kind, std::string_view local_id,
                                 std::string_view other_workspace, std::string_view other_id);
// The same for several links to one other workspace, in one pass; the new
// links are one-to-one among themselves.
struct NewLink {
    Kind kind;
    std::string_view local_id;
    std::string_view other_id;
};
std::vector<LinkEntry> with_links(const std::vector<LinkEntry>& links, std::string_view other_workspace,
                                  const std::vector<NewLink>& added);
// ws's entries without that link.
std::vector<LinkEntry> without_link(const Workspace& ws, Kind kind, std::string_view local_id,
                                    std::string_view other_workspace, std::string_view other_id);
// Whether ws's links.yaml states that link.
bool states_link(const Workspace& ws, Kind kind, std::string_view local_id, std::string_view other_workspace,
                 std::string_view other_id);
// The same entries, in any order.
bool same_links(std::vector<LinkEntry> x, std::vector<LinkEntry> y);

}  // namespace ferry
