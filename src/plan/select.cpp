// Which resources a deployment takes (SPEC 3.2, "Selection").
#include <fnmatch.h>

#include <algorithm>

#include "ferry/model/linking.hpp"
#include "planner.hpp"

namespace ferry {

std::optional<Pattern> parse_pattern(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto kind = parse_kind(text.substr(0, slash));
    std::string_view id = text.substr(slash + 1);
    if (!kind || id.empty() || id.size() > 64) return std::nullopt;
    bool glob = false;
    for (char c : id) {
        if (c == '*' || c == '?') {
            glob = true;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return std::nullopt;
        }
    }
    if (!glob && !is_valid_id(id)) return std::nullopt;
    return Pattern{*kind, std::string(id), glob};
}

std::string_view action_name(Action action) {
    return action == Action::create ? "create" : "update";
}
std::string_view mode_name(Mode mode) {
    return mode == Mode::publish ? "publish" : "draft";
}
std::string_view status_name(PlanStatus status) {
    switch (status) {
        case PlanStatus::ok:
            return "ok";
        case PlanStatus::no_changes:
            return "no-changes";
        case PlanStatus::blocked:
            return "blocked";
    }
    return "?";
}

std::size_t Plan::count(Action action) const {
    return std::ranges::count_if(changes, [&](const Change& c) { return c.action == action; });
}

namespace plan_detail {

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
    for (const std::string& text : o.select) {
        auto p = parse_pattern(text);
        if (!p) continue;  // the command line refuses these
        if (!is_deployable(p->kind)) {
            fail(code::not_deployable,
                 std::string(kind_name(p->kind)) + " are not deployed: only models and syncs are (`" + text + "`)",
                 src(p->kind, p->id),
                 p->kind == Kind::audiences
                     ? "audiences stay in their workspace; select the models and syncs they use"
                     : "link it instead: ferry link " + src(p->kind, p->id) + " " + T.name + " lists candidates");
            continue;
        }
        if (p->is_glob) {
            // A glob matches published resources only.
            for (const auto& [id, r] : S.of(p->kind)) {
                if (matches(*p, p->kind, id)) selected_.insert({p->kind, id});
            }
        } else if (S.find(p->kind, p->id)) {
            selected_.insert({p->kind, p->id});
        } else if (S.find_draft(p->kind, p->id)) {
            fail(code::draft_only, src(p->kind, p->id) + " exists only as a draft in " + S.name + "; publish it first",
                 src(p->kind, p->id), "ferry publish " + src(p->kind, p->id));
        } else {
            fail(code::unknown_resource, src(p->kind, p->id) + " does not exist at " + S.ref, src(p->kind, p->id),
                 "--select takes KIND/ID of a published resource of " + S.name + "; a glob like " +
                     std::string(kind_name(p->kind)) + "/* selects several");
        }
    }
    for (const std::string& text : o.exclude) {
        auto p = parse_pattern(text);
        if (!p) continue;
        std::erase_if(selected_, [&](const Key& k) { return matches(*p, k.first, k.second); });
    }
}

bool is_excluded(const PlanOptions& o, Kind kind, const std::string& id) {
    return std::ranges::any_of(o.exclude, [&](const std::string& text) {
        auto p = parse_pattern(text);
        return p && matches(*p, kind, id);
    });
}

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

// SPEC 3.2: view on the kind in S, at least draft in T. Said once per kind.

}  // namespace plan_detail
}  // namespace ferry
