// SPEC 3.2, rule by rule. Every error names the resource and carries a hint
// with the command that fixes it.
#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>

#include "ferry/linking.hpp"
#include "ferry/permissions.hpp"
#include "ferry/plan.hpp"
#include "ferry/value.hpp"

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

namespace {

using Key = std::pair<Kind, std::string>;

bool matches(const Pattern& p, Kind kind, const std::string& id) {
    if (p.kind != kind) return false;
    return p.is_glob ? fnmatch(p.id.c_str(), id.c_str(), 0) == 0 : p.id == id;
}

bool is_deployable(Kind kind) {
    return kind == Kind::models || kind == Kind::syncs;
}

std::string singular(Kind kind) {
    std::string k(kind_name(kind));
    k.pop_back();
    return k;
}

// A missing schedule is manual (SPEC 2.4).
nlohmann::json schedule_of(const nlohmann::json& resource) {
    auto it = resource.find("schedule");
    return it == resource.end() || it->is_null() ? nlohmann::json{{"type", "manual"}} : *it;
}

class Planner {
public:
    explicit Planner(const PlanInput& in) : in_(in), S(in.source), T(in.target) {
        plan_.from = {S.name, S.ref, S.commit};
        plan_.to = {T.name, T.ref, T.commit};
        plan_.actor = in.actor;
        plan_.options = in.options;
        links_ = in.links;
    }

    Plan run();

private:
    Diagnostic& fail(std::string_view code, std::string message, std::string addr, std::string hint = {}) {
        Diagnostic d = error(code, std::move(message), {}, std::move(addr));
        d.hint = std::move(hint);
        plan_.diagnostics.add(std::move(d));
        return plan_.diagnostics.items.back();
    }
    void warn(std::string_view code, std::string message, std::string addr, std::string hint = {}) {
        Diagnostic d = warning(code, std::move(message), {}, std::move(addr));
        d.hint = std::move(hint);
        plan_.diagnostics.add(std::move(d));
    }
    std::string src(Kind kind, const std::string& id) const { return address(S.name, kind, id); }
    std::string dst(Kind kind, const std::string& id) const { return address(T.name, kind, id); }

    void block_on_load_errors();
    void apply_link_options();
    void select();
    void add_dependencies();
    bool check_permissions(Kind kind);
    // The counterpart in T of S's source or destination `id`, checked for
    // link and type; nullopt (with an error) when there is none.
    std::optional<std::string> counterpart(Kind kind, const std::string& id, const std::string& origin,
                                           std::string_view not_linked_code);
    // The id the resource will have in T: its linked counterpart, else the
    // same id when that is free (else target-exists).
    std::optional<std::string> target_id(Kind kind, const std::string& id);
    void plan_model(const std::string& id);
    void plan_sync(const std::string& id);
    void finish_change(Kind kind, const std::string& id, const std::string& tid, nlohmann::json after);

    const PlanInput& in_;
    const Workspace& S;
    const Workspace& T;
    LinkSet links_;
    Plan plan_;
    std::set<Key> selected_;
    std::map<std::string, std::string> created_models_;  // S id -> T id, models this plan creates
    std::set<Kind> permission_checked_;
    std::map<Kind, bool> permitted_;
};

// --link A=B: checked by every rule of linking, then used for this plan.
void Planner::apply_link_options() {
    for (const LinkOption& l : in_.options.links) {
        Diagnostics problems = check_link(S, T, links_, {l.kind, l.source_id, l.target_id}, in_.actor);
        if (problems.has_errors()) {
            plan_.diagnostics.append(std::move(problems));
            continue;
        }
        if (links_.in_b(l.kind, l.source_id)) continue;  // already linked: nothing to record
        links_.add(l.kind, l.source_id, l.target_id);
        plan_.links.push_back({l.kind, l.source_id, l.target_id});
    }
}

void Planner::select() {
    const PlanOptions& o = in_.options;
    for (Kind kind : {Kind::models, Kind::syncs}) {
        for (const auto& [id, r] : S.of(kind)) {
            bool linked = links_.in_b(kind, id) != nullptr;
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
        if (model.empty() || links_.in_b(Kind::models, model) || !S.find(Kind::models, model)) continue;
        if (!is_excluded(in_.options, Kind::models, model)) models.push_back(model);
    }
    for (auto& m : models)
        selected_.insert({Kind::models, std::move(m)});
}

// SPEC 3.2: view on the kind in S, at least draft in T. Said once per kind.
bool Planner::check_permissions(Kind kind) {
    if (permission_checked_.contains(kind)) return permitted_[kind];
    permission_checked_.insert(kind);
    bool ok = true;
    Level in_source = level_of(S, in_.actor, kind);
    if (in_source < Level::view) {
        fail(code::permission_denied,
             in_.actor + " needs view on " + std::string(kind_name(kind)) + " in " + S.name + " to deploy from it",
             S.name, "ask an admin of " + S.name + " for the viewer role, or pass --actor");
        ok = false;
    }
    Level in_target = level_of(T, in_.actor, kind);
    if (in_target < Level::draft) {
        fail(code::permission_denied,
             in_.actor + " needs at least draft on " + std::string(kind_name(kind)) + " in " + T.name +
                 " to deploy to it, and has " + std::string(level_name(in_target)),
             T.name, "ask an admin of " + T.name + " for the drafter or editor role, or pass --actor");
        ok = false;
    }
    permitted_[kind] = ok;
    return ok;
}

std::optional<std::string> Planner::counterpart(Kind kind, const std::string& id, const std::string& origin,
                                                std::string_view not_linked_code) {
    const std::string* linked = links_.in_b(kind, id);
    if (!linked) {
        fail(not_linked_code,
             origin + " uses " + src(kind, id) + ", which is not linked to a " + singular(kind) + " of " + T.name,
             origin,
             "ferry link " + src(kind, id) + " " + T.name + "  (lists candidates), then ferry link " + src(kind, id) +
                 " " + T.name + ":" + std::string(kind_name(kind)) + "/<id>; or deploy with --link " + src(kind, id) +
                 "=" + T.name + ":" + std::string(kind_name(kind)) + "/<id>");
        return std::nullopt;
    }
    const Resource* mine = S.find(kind, id);
    const Resource* theirs = T.find(kind, *linked);
    if (mine && theirs && mine->field("type") != theirs->field("type")) {
        fail(code::type_mismatch,
             src(kind, id) + " (" + std::string(mine->field("type")) + ") is linked to " + dst(kind, *linked) + " (" +
                 std::string(theirs->field("type")) + "); " + origin + " needs a " + singular(kind) +
                 " of the same type",
             origin, "ferry unlink " + src(kind, id) + " " + dst(kind, *linked) + ", then link one of the same type");
        return std::nullopt;
    }
    return *linked;
}

std::optional<std::string> Planner::target_id(Kind kind, const std::string& id) {
    if (const std::string* linked = links_.in_b(kind, id)) return *linked;
    if (T.exists(kind, id)) {
        fail(code::target_exists,
             dst(kind, id) + " already exists and is not linked to " + src(kind, id) +
                 "; ferry never deploys onto a resource it did not link",
             src(kind, id),
             "rename one of the two, or remove " + dst(kind, id) + " from " + T.name + " if it is an old copy");
        return std::nullopt;
    }
    return id;
}

void Planner::plan_model(const std::string& id) {
    const Kind kind = Kind::models;
    const Resource& r = *S.find(kind, id);
    const std::string origin = src(kind, id);
    bool ok = check_permissions(kind);
    nlohmann::json after = to_json(r.root());

    if (auto source = r.field("source"); !source.empty()) {
        if (auto t = counterpart(Kind::sources, std::string(source), origin, code::source_not_linked)) {
            after["source"] = *t;
        } else {
            ok = false;
        }
    }
    if (auto ext = required_extension_of_model(r.field("type")); !ext.empty() && !T.has_extension(ext)) {
        fail(code::missing_extension,
             origin + " is a " + std::string(r.field("type")) + " model and " + T.name + " does not configure the '" +
                 std::string(ext) + "' extension",
             origin, "add `" + std::string(ext) + ": { ... }` under `extensions:` in " + T.name + "'s workspace.yaml");
        ok = false;
    }
    auto tid = target_id(kind, id);
    if (!tid) return;
    if (!links_.in_b(kind, id)) created_models_[id] = *tid;
    if (ok) finish_change(kind, id, *tid, std::move(after));
}

void Planner::plan_sync(const std::string& id) {
    const Kind kind = Kind::syncs;
    const Resource& r = *S.find(kind, id);
    const std::string origin = src(kind, id);
    bool ok = check_permissions(kind);
    const nlohmann::json source_value = to_json(r.root());
    nlohmann::json after = source_value;

    std::string model(r.field("model"));
    if (const std::string* linked = links_.in_b(Kind::models, model)) {
        after["model"] = *linked;
    } else if (auto created = created_models_.find(model); created != created_models_.end()) {
        after["model"] = created->second;
    } else if (!selected_.contains({Kind::models, model})) {
        fail(code::model_not_linked,
             origin + " uses " + src(Kind::models, model) + ", which is not linked to a model of " + T.name +
                 " and is not part of this deployment",
             origin, "add --select models/" + model + " (or --include-dependencies) to deploy the model with the sync");
        ok = false;
    } else {
        ok = false;  // the model is selected but blocked: its own errors say why
    }
    if (auto destination = r.field("destination"); !destination.empty()) {
        if (auto t = counterpart(Kind::destinations, std::string(destination), origin, code::destination_not_linked)) {
            after["destination"] = *t;
        } else {
            ok = false;
        }
    }

    auto tid = target_id(kind, id);
    if (!tid) return;
    const Resource* current = T.find(kind, *tid);
    nlohmann::json existing = current ? to_json(current->root()) : nlohmann::json();
    const bool deploy_schedule = in_.options.with_schedule;

    // SPEC 3.2: fields owned by the target.
    if (current) {
        for (const char* field : {"enabled", "alerts", "schedule"}) {
            if (std::string_view(field) == "schedule" && deploy_schedule) continue;
            if (existing.contains(field)) {
                after[field] = existing[field];
            } else {
                after.erase(field);
            }
        }
        if (!deploy_schedule && schedule_of(source_value) != schedule_of(existing)) {
            warn(code::schedule_not_deployed,
                 origin + "'s schedule differs from " + dst(kind, *tid) + "'s, which is kept", origin,
                 "deploy it with --with-schedule");
        }
    } else {
        after["enabled"] = false;
        after.erase("alerts");
        if (!deploy_schedule) after["schedule"] = {{"type", "manual"}};
    }
    if (deploy_schedule) {
        std::string type = schedule_of(after).value("type", "manual");
        if (auto ext = required_extension_of_schedule(type); !ext.empty() && !T.has_extension(ext)) {
            fail(code::missing_extension,
                 origin + "'s " + type + " schedule needs the '" + std::string(ext) + "' extension, which " + T.name +
                     " does not configure",
                 origin,
                 "add it under `extensions:` in " + T.name + "'s workspace.yaml, or deploy without --with-schedule");
            ok = false;
        }
    }
    if (ok) finish_change(kind, id, *tid, std::move(after));
}

// Mode, diff against what T has, drafts replaced, links recorded.
void Planner::finish_change(Kind kind, const std::string& id, const std::string& tid, nlohmann::json after) {
    const std::string origin = src(kind, id);
    if (S.find_draft(kind, id)) {
        warn(code::unpublished_draft, origin + " has a pending draft, which is not deployed: the published version is",
             origin, "ferry publish " + origin + " first to deploy the draft");
    }
    const Resource* published = T.find(kind, tid);
    const Resource* draft = T.find_draft(kind, tid);

    Level level = level_of(T, in_.actor, kind);
    bool approvals = T.approvals[static_cast<std::size_t>(kind)];
    Mode mode = level == Level::draft || approvals ? Mode::draft : Mode::publish;

    nlohmann::json before = published ? to_json(published->root()) : nlohmann::json();
    if (mode == Mode::draft && draft) {
        before = to_json(draft->root());
        before.erase("draft");
    }
    if (before == after) return;  // nothing to deploy

    if (mode == Mode::draft) {
        warn(code::lands_as_draft,
             dst(kind, tid) + " will land as a draft awaiting approval: " +
                 (approvals ? T.name + " requires approval for " + std::string(kind_name(kind))
                            : in_.actor + " may only draft " + std::string(kind_name(kind)) + " in " + T.name),
             origin, "an admin of " + T.name + " publishes it with ferry publish " + dst(kind, tid));
    }
    if (draft) {
        warn(code::target_draft_replaced, dst(kind, tid) + " has a draft, which this deployment replaces", origin);
        plan_.drafts_replaced.push_back(dst(kind, tid));
    }

    Change change;
    change.kind = kind;
    change.id = tid;
    change.origin_id = id;
    change.action = published ? Action::update : Action::create;
    change.mode = mode;
    change.diff = diff_values(before, after);
    change.replaces_draft = draft != nullptr;
    if (mode == Mode::draft) {
        after["draft"] = {{"author", in_.actor}, {"approval", "requested"}, {"origin", S.name + "@" + S.commit}};
    }
    change.after = std::move(after);
    plan_.changes.push_back(std::move(change));
    if (!links_.in_b(kind, id)) plan_.links.push_back({kind, id, tid});
}

// Errors found while loading block the plan where they matter: in either
// workspace's own files, in a selected resource, in a resource it writes.
void Planner::block_on_load_errors() {
    std::set<std::string> relevant_source = {S.name};
    std::set<std::string> relevant_target = {T.name};
    for (const auto& [kind, id] : selected_) {
        relevant_source.insert(src(kind, id));
        const std::string* linked = links_.in_b(kind, id);
        relevant_target.insert(dst(kind, linked ? *linked : id));
    }
    for (const auto& [problems, relevant] :
         {std::pair{in_.source_problems, &relevant_source}, std::pair{in_.target_problems, &relevant_target}}) {
        if (!problems) continue;
        for (const Diagnostic& d : problems->items) {
            if (d.severity == Severity::error && relevant->contains(d.address)) plan_.diagnostics.add(d);
        }
    }
}

Plan Planner::run() {
    apply_link_options();
    select();
    add_dependencies();
    block_on_load_errors();
    for (const auto& [kind, id] : selected_) {
        if (kind == Kind::models) plan_model(id);
    }
    for (const auto& [kind, id] : selected_) {
        if (kind == Kind::syncs) plan_sync(id);
    }
    std::ranges::sort(plan_.links, [](const PlannedLink& a, const PlannedLink& b) {
        return std::tie(a.kind, a.source_id) < std::tie(b.kind, b.source_id);
    });
    if (plan_.diagnostics.has_errors()) {
        plan_.status = PlanStatus::blocked;
    } else if (!plan_.changes.empty() || !plan_.links.empty()) {
        plan_.status = PlanStatus::ok;
    }
    return std::move(plan_);
}

}  // namespace

Plan make_plan(const PlanInput& input) {
    return Planner(input).run();
}

}  // namespace ferry
