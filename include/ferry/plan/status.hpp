// `ferry status` (SPEC 4): a workspace's inventory, and how two linked
// workspaces stand against each other. Pure functions of loaded
// workspaces: documents are read through their DocumentSources, which
// return errors as values.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "ferry/model/diagnostic.hpp"
#include "ferry/model/documents.hpp"
#include "ferry/model/links.hpp"
#include "ferry/model/workspace.hpp"
#include "ferry/plan/plan.hpp"

namespace ferry {

struct PendingDraft {
    std::string address;
    std::string author;    // empty when the draft names none
    std::string approval;  // none | requested
};

struct LinkCount {
    std::string workspace;  // the other workspace
    std::size_t links = 0;  // live links between the two
};

struct Inventory {
    std::array<std::size_t, kAllKinds.size()> counts{};  // published resources, by Kind
    std::vector<PendingDraft> drafts;                    // by kind, then id
    std::vector<LinkCount> links;                        // per other workspace, in the order given
    Diagnostics diagnostics;                             // drafts whose documents could not be read
};

// `ws`'s resources by kind, its drafts (their `draft` blocks read through
// `documents`) and its live links with each of `others` (ws itself among
// them is skipped). Link problems are not said here: check_links says them.
Inventory inventory(const Workspace& ws, const DocumentSource& documents, const std::vector<const Workspace*>& others);

// SPEC 4: whether a deployment from one side of a link would change the
// other.
enum class PairState { in_sync, differs };
std::string_view pair_state_name(PairState state);

struct LinkedPair {
    Kind kind;
    std::string a_id;  // in `here`
    std::string b_id;  // in `other`
    PairState state;
};

struct Drift {
    std::vector<LinkedPair> pairs;       // linked models and syncs, by kind then a's id
    std::vector<std::string> only_here;  // addresses in `here`: published models and syncs with no counterpart
    std::size_t stale_links = 0;         // links between the two whose resource is gone
    Diagnostics diagnostics;             // documents that could not be read

    bool drifted() const;  // anything differs, is only here, or is linked to nothing
};

// How `here` stands against `other`. A linked model or sync is in sync
// when deploying it from `here` (the default deployment: references
// rewritten through the links, the fields `other` owns kept, its schedule
// among them) would write nothing over `other`'s published resource: the
// planner's own test for a no-op. Both must be published, and every
// resource it refers to linked, or the pair differs.
Drift compare_workspaces(const PlanSide& here, const PlanSide& other);

}  // namespace ferry
