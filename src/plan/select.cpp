// Which resources a deployment takes (SPEC 3.2, "Selection").
#include <algorithm>

#include "ferry/model/linking.hpp"
#include "ferry/util/did_you_mean.hpp"
#include "planner.hpp"

namespace ferry::plan_detail {

void Planner::apply_link_options() {
    for (const LinkOption& l : in_.options.links) {
        Diagnostics problems = check_link(S, T, *links_, {l.kind, l.source_id, l.target_id}, in_.actor);
        if (problems.has_errors()) {
            plan_.diagnostics.append(std::move(problems));
            continue;
        }
        if (links_->in_b(l.kind, l.source_id)) continue;  // already linked: nothing to record
        // The input's links are copied once, and only when a plan adds one.
        if (!own_links_) {
            own_links_ = *links_;
            links_ = &*own_links_;
        }
        own_links_->add(l.kind, l.source_id, l.target_id);
        plan_.links.push_back({l.kind, l.source_id, l.target_id});
    }
}

void Planner::select() {
    const PlanOptions& o = in_.options;
    for (Kind kind : {Kind::models, Kind::syncs}) {
        for (const auto& [id, r] : S.of(kind)) {
            bool linked = links_->in_b(kind, id) != nullptr;
            if (o.all || (o.select.empty() && linked)) selected_.insert({kind, id});
        }
    }
    for (const Pattern& p : o.select) {
        const std::string addr = src(p.kind, p.id);
        if (!is_deployable(p.kind)) {
            fail(code::not_deployable,
                 std::string(kind_name(p.kind)) + " are not deployed: only models and syncs are (`" + p.str() + "`)",
                 addr,
                 p.kind == Kind::audiences
                     ? "audiences stay in their workspace; select the models and syncs they use"
                     : "link it instead: ferry link " + addr + " " + T.name + " lists candidates");
            continue;
        }
        if (p.is_glob) {
            // A glob matches published resources only.
            bool matched = false;
            for (const auto& [id, r] : S.of(p.kind)) {
                if (p.matches(p.kind, id)) {
                    selected_.insert({p.kind, id});
                    matched = true;
                }
            }
            if (!matched) warn_empty("--select", p);
        } else if (S.find(p.kind, p.id)) {
            selected_.insert({p.kind, p.id});
        } else if (S.find_draft(p.kind, p.id)) {
            fail(code::draft_only, addr + " exists only as a draft in " + S.name + "; publish it first", addr,
                 "ferry publish " + addr);
        } else {
            // A hint names a resource that exists: the nearest id, if any.
            const std::string close = nearest_id(p.kind, p.id);
            fail(code::unknown_resource, addr + " does not exist at " + S.ref, addr,
                 close.empty() ? "--select takes KIND/ID of a published resource of " + S.name + "; a glob like " +
                                     std::string(kind_name(p.kind)) + "/* selects several"
                               : "did you mean --select " + std::string(kind_name(p.kind)) + "/" + close + "?");
        }
    }
    for (const Pattern& p : o.exclude) {
        std::erase_if(selected_, [&](const Key& k) { return p.matches(k.first, k.second); });
        if (p.is_glob && std::ranges::none_of(S.of(p.kind), [&](const auto& e) { return p.matches(p.kind, e.first); }))
            warn_empty("--exclude", p);
    }
}

std::string Planner::nearest_id(Kind kind, std::string_view id) const {
    std::vector<std::string> ids;
    ids.reserve(S.of(kind).size());
    for (const auto& [known, r] : S.of(kind))
        ids.push_back(known);
    return did_you_mean(id, ids);
}

void Planner::warn_empty(std::string_view option, const Pattern& p) {
    // The nearest glob that would match: the pattern's text before its first
    // wildcard against the ids cut to that length (`nwe-*` -> `new-*`).
    const std::string stem = p.id.substr(0, p.id.find_first_of("*?"));
    std::string close;
    if (stem.size() >= 3) {  // shorter, every id is "close"
        std::vector<std::string> starts;
        for (const auto& [id, r] : S.of(p.kind)) {
            std::string start = id.substr(0, stem.size());
            if (starts.empty() || starts.back() != start) starts.push_back(std::move(start));
        }
        close = did_you_mean(stem, starts);
        if (!close.empty()) close += p.id.substr(stem.size());
    }
    add_warning(plan_.diagnostics, code::empty_selection,
                std::string(option) + " " + p.str() + " matches no published " + singular(p.kind) + " of " + S.name,
                S.name,
                close.empty() ? S.name + " has " + std::to_string(S.of(p.kind).size()) + " published " +
                                    std::string(kind_name(p.kind)) + ", none named like that"
                              : "did you mean " + std::string(kind_name(p.kind)) + "/" + close + "?");
}

void Planner::list_not_selected() {
    const PlanOptions& o = in_.options;
    if (o.all || !o.select.empty()) return;
    for (Kind kind : {Kind::models, Kind::syncs}) {
        for (const auto& [id, r] : S.of(kind)) {
            if (links_->in_b(kind, id)) continue;
            if (std::ranges::any_of(o.exclude, [&](const Pattern& p) { return p.matches(kind, id); })) continue;
            plan_.not_selected.push_back(src(kind, id));
        }
    }
}

namespace {

bool is_excluded(const PlanOptions& o, Kind kind, const std::string& id) {
    return std::ranges::any_of(o.exclude, [&](const Pattern& p) { return p.matches(kind, id); });
}

}  // namespace

// --include-dependencies: a selected sync's unlinked model joins the selection.
void Planner::add_dependencies() {
    if (!in_.options.include_dependencies) return;
    std::vector<std::string> models;
    for (const auto& [kind, id] : selected_) {
        if (kind != Kind::syncs) continue;
        const Resource* sync = S.find(kind, id);
        std::string model(sync ? sync->field("model") : "");
        if (model.empty() || links_->in_b(Kind::models, model) || !S.find(Kind::models, model)) continue;
        if (!is_excluded(in_.options, Kind::models, model)) models.push_back(model);
    }
    for (auto& m : models)
        selected_.insert({Kind::models, std::move(m)});
}

}  // namespace ferry::plan_detail
