// SPEC 4: `ferry status`. A pair is compared as the planner decides a
// no-op (planner.hpp's Rewrite and keep_target_owned), so that `status`
// says in-sync exactly when `reconcile` would plan nothing for the pair.
#include "ferry/plan/status.hpp"

#include <algorithm>
#include <optional>

#include "ferry/model/drafts.hpp"
#include "ferry/util/parallel.hpp"
#include "planner.hpp"

namespace ferry {

using plan_detail::Rewrite;

std::string_view pair_state_name(PairState state) {
    return state == PairState::in_sync ? "in-sync" : "differs";
}

bool Drift::drifted() const {
    return stale_links > 0 || !only_here.empty() ||
           std::ranges::any_of(pairs, [](const LinkedPair& p) { return p.state == PairState::differs; });
}

Inventory inventory(const Workspace& ws, const DocumentSource& documents, const std::vector<const Workspace*>& others) {
    Inventory out;
    for (Kind kind : kAllKinds)
        out.counts[static_cast<std::size_t>(kind)] = ws.of(kind).size();
    for (Kind kind : kAllKinds) {
        for (const auto& [id, draft] : ws.drafts_of(kind)) {
            PendingDraft pending{address(ws.name, kind, id), {}, "none"};
            if (auto root = documents.root(draft)) {
                DraftBlock block = draft_block(*root);
                pending.author = std::move(block.author);
                pending.approval = std::move(block.approval);
            } else {
                out.diagnostics.add(root.error());
            }
            out.drafts.push_back(std::move(pending));
        }
    }
    for (const Workspace* other : others) {
        if (other->name == ws.name) continue;
        Diagnostics said_elsewhere;
        out.links.push_back({other->name, resolve_links(ws, *other, said_elsewhere).all().size()});
    }
    return out;
}

namespace {

// Whether a deployment of `a` (here) over `b` (there) would write nothing.
// nullopt with the diagnostic said when a document could not be read.
std::optional<bool> deploys_as_no_op(const Resource& a, const PlanSide& here, const Resource& b, const PlanSide& there,
                                     const LinkSet& links, Diagnostics& out) {
    Rewrite after(a, here.documents);
    // SPEC 3.2: references become the counterparts' ids; one without a
    // counterpart cannot be deployed as it is.
    auto rewrite = [&](Kind kind, std::string_view field) {
        std::string_view id = a.field(field);
        if (id.empty()) return true;
        const std::string* linked = links.in_b(kind, std::string(id));
        if (linked) after.set(std::string(field), *linked);
        return linked != nullptr;
    };
    if (a.kind == Kind::models && !rewrite(Kind::sources, "source")) return false;
    if (a.kind == Kind::syncs) {
        if (!rewrite(Kind::models, "model") || !rewrite(Kind::destinations, "destination")) return false;
        plan_detail::keep_target_owned(after, b, there.documents, /*with_schedule=*/false);
    }
    auto same = after.same_as(b, there.documents, "");
    if (!same) {
        out.add(same.error());
        return std::nullopt;
    }
    return *same;
}

}  // namespace

Drift compare_workspaces(const PlanSide& here, const PlanSide& other) {
    const Workspace& H = here.workspace;
    const Workspace& O = other.workspace;
    Drift drift;
    Diagnostics link_problems;
    const LinkSet links = resolve_links(H, O, link_problems);
    drift.stale_links = static_cast<std::size_t>(
        std::ranges::count_if(link_problems.items, [](const Diagnostic& d) { return d.code == code::stale_link; }));

    for (const Link& l : links.all()) {
        if (l.kind == Kind::models || l.kind == Kind::syncs)
            drift.pairs.push_back({l.kind, l.a_id, l.b_id, PairState::differs});
    }
    // Most pairs are told from fingerprints in a few microseconds; two
    // shares once there are enough to be worth a thread.
    const std::size_t shares = drift.pairs.size() < 512 ? 1 : 2;
    std::vector<Diagnostics> found(shares);
    util::parallel_for(
        shares,
        [&](std::size_t share) {
            const std::size_t begin = drift.pairs.size() * share / shares;
            const std::size_t end = drift.pairs.size() * (share + 1) / shares;
            for (std::size_t i = begin; i < end; ++i) {
                LinkedPair& pair = drift.pairs[i];
                const Resource* a = H.find(pair.kind, pair.a_id);
                const Resource* b = O.find(pair.kind, pair.b_id);
                // A side that is only a draft is not deployed, nor deployed onto.
                if (!a || !b || !a->facts.is_map || !b->facts.is_map) continue;
                if (deploys_as_no_op(*a, here, *b, other, links, found[share]).value_or(false))
                    pair.state = PairState::in_sync;
            }
        },
        shares);
    for (Diagnostics& d : found)
        drift.diagnostics.append(std::move(d));

    for (Kind kind : {Kind::models, Kind::syncs}) {
        for (const auto& [id, r] : H.of(kind)) {
            if (!links.in_b(kind, id)) drift.only_here.push_back(address(H.name, kind, id));
        }
    }
    return drift;
}

}  // namespace ferry
