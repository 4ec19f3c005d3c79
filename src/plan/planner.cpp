// SPEC 3.2, rule by rule. Every error names the resource and carries a hint
// with the command that fixes it.
#include <algorithm>
#include <tuple>

#include "ferry/model/permissions.hpp"
#include "ferry/util/parallel.hpp"
#include "ferry/yaml/value.hpp"
#include "planner.hpp"

namespace ferry {
namespace plan_detail {

void Rewrite::put(std::string key, Value value) {
    for (Field& f : fields_) {
        if (f.key == key) {
            f.value = std::move(value);
            return;
        }
    }
    fields_.push_back({std::move(key), std::move(value)});
}

const Rewrite::Field* Rewrite::find(std::string_view key) const {
    for (const Field& f : fields_) {
        if (f.key == key) return &f;
    }
    return nullptr;
}

std::optional<bool> Rewrite::same_by_hash(const Resource& before, std::string_view skip_key) const {
    const Fingerprint& mine = source_.facts.fingerprint;
    const Fingerprint& theirs = before.facts.fingerprint;
    if (!mine.exact || !theirs.exact) return std::nullopt;
    // Every field set is one of the owned keys, hashed apart from the rest.
    if (!std::ranges::all_of(fields_, [](const Field& f) { return owned_key(f.key).has_value(); })) return std::nullopt;
    if (mine.rest != theirs.rest) return false;
    for (std::size_t i = 0; i < kOwnedKeys.size(); ++i) {
        const auto key = static_cast<OwnedKey>(i);
        // What the result holds under the key (nullopt: nothing), and what
        // `before` holds.
        std::optional<ValueHash> result = mine.has(key) ? std::optional(mine.of(key)) : std::nullopt;
        if (const Field* f = find(kOwnedKeys[i])) {
            if (std::holds_alternative<std::monostate>(f->value)) {
                result.reset();
            } else if (const auto* json = std::get_if<nlohmann::json>(&f->value)) {
                result = hash_value(*json);
                if (!result) return std::nullopt;
            } else {
                const Fingerprint& from = std::get<Taken>(f->value).from->facts.fingerprint;
                if (!from.exact) return std::nullopt;
                result = from.has(key) ? std::optional(from.of(key)) : std::nullopt;
            }
        }
        std::optional<ValueHash> held =
            theirs.has(key) && kOwnedKeys[i] != skip_key ? std::optional(theirs.of(key)) : std::nullopt;
        if (result != held) return false;
    }
    return true;
}

std::expected<bool, Diagnostic> Rewrite::same_as(const Resource& before, const DocumentSource& before_documents,
                                                 std::string_view skip_key) const {
    if (auto told = same_by_hash(before, skip_key)) return *told;
    Read root = before_documents.root(before);
    if (!root) return std::unexpected(root.error());
    return same_by_value(*root, skip_key);
}

Read Rewrite::Taken::value(const std::string& key) const {
    Read root = documents->root(*from);
    if (!root) return root;
    return root->get(key);
}

std::expected<bool, Diagnostic> Rewrite::same_by_value(yaml::Node before, std::string_view skip_key) const {
    Read source = documents_.root(source_);
    if (!source) return std::unexpected(source.error());
    if (!source->is_map() || !before.is_map()) return false;
    auto in_before = [&](std::string_view key) { return key == skip_key ? yaml::Node{} : before.get(key); };
    std::size_t expected = before.size() - (!skip_key.empty() && before.key_node(skip_key) ? 1 : 0);
    std::size_t count = 0;
    for (std::size_t i = 0; i < source->size(); ++i) {
        std::string_view key = source->key(i).text();
        if (find(key)) continue;
        yaml::Node other = in_before(key);
        if (!other || !same_value(source->value(i), other)) return false;
        ++count;
    }
    for (const Field& f : fields_) {
        if (std::holds_alternative<std::monostate>(f.value)) continue;
        yaml::Node other = in_before(f.key);
        if (!other) return false;
        bool same;
        if (const auto* taken = std::get_if<Taken>(&f.value)) {
            Read value = taken->value(f.key);
            if (!value) return std::unexpected(value.error());
            same = same_value(*value, other);
        } else {
            same = same_value(other, std::get<nlohmann::json>(f.value));
        }
        if (!same) return false;
        ++count;
    }
    return count == expected;
}

std::expected<nlohmann::json, Diagnostic> Rewrite::to_json() const {
    Read source = documents_.root(source_);
    if (!source) return std::unexpected(source.error());
    nlohmann::json out = ferry::to_json(*source);
    for (const Field& f : fields_) {
        if (std::holds_alternative<std::monostate>(f.value)) {
            out.erase(f.key);
        } else if (const auto* taken = std::get_if<Taken>(&f.value)) {
            Read value = taken->value(f.key);
            if (!value) return std::unexpected(value.error());
            out[f.key] = ferry::to_json(*value);
        } else {
            out[f.key] = std::get<nlohmann::json>(f.value);
        }
    }
    return out;
}

std::expected<std::string, Diagnostic> Rewrite::schedule_type() const {
    const Field* f = find("schedule");
    if (!f) return source_.facts.schedule_type;
    nlohmann::json schedule;
    if (const auto* taken = std::get_if<Taken>(&f->value)) {
        Read value = taken->value(f->key);
        if (!value) return std::unexpected(value.error());
        schedule = ferry::to_json(*value);
    }
    if (std::holds_alternative<nlohmann::json>(f->value)) schedule = std::get<nlohmann::json>(f->value);
    return plan_detail::schedule_type(nlohmann::json{{"schedule", std::move(schedule)}});
}

namespace {

// schedule_of() compared in place: a missing schedule, or one that is not a
// mapping, reads as { type: manual }. From fingerprints when they can tell.
std::expected<bool, Diagnostic> same_schedule(const Resource& a, const DocumentSource& a_documents, const Resource& b,
                                              const DocumentSource& b_documents) {
    static const nlohmann::json manual = {{"type", "manual"}};
    const bool in_a = a.facts.schedule_is_map;
    const bool in_b = b.facts.schedule_is_map;
    if (!in_a && !in_b) return true;
    const Fingerprint& fa = a.facts.fingerprint;
    const Fingerprint& fb = b.facts.fingerprint;
    if (fa.exact && fb.exact) {
        static const ValueHash manual_hash = *hash_value(manual);
        const ValueHash& ha = in_a ? fa.of(OwnedKey::schedule) : manual_hash;
        const ValueHash& hb = in_b ? fb.of(OwnedKey::schedule) : manual_hash;
        return ha == hb;
    }
    yaml::Node sa, sb;
    if (in_a) {
        Read root = a_documents.root(a);
        if (!root) return std::unexpected(root.error());
        sa = root->get("schedule");
    }
    if (in_b) {
        Read root = b_documents.root(b);
        if (!root) return std::unexpected(root.error());
        sb = root->get("schedule");
    }
    if (sa && sb) return same_value(sa, sb);
    return same_value(sa ? sa : sb, manual);
}

}  // namespace

void keep_target_owned(Rewrite& after, const Resource& current, const DocumentSource& documents, bool with_schedule) {
    for (OwnedKey field : {OwnedKey::enabled, OwnedKey::alerts, OwnedKey::schedule}) {
        if (field == OwnedKey::schedule && with_schedule) continue;
        std::string key(kOwnedKeys[static_cast<std::size_t>(field)]);
        if (current.facts.fingerprint.has(field)) {
            after.set_from(std::move(key), current, documents);
        } else {
            after.drop(std::move(key));
        }
    }
}

void Planner::check_permissions(Kind kind) {
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
    permitted_[static_cast<std::size_t>(kind)] = ok;
}

std::optional<std::string> Share::counterpart(Kind kind, const std::string& id, const std::string& origin,
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

std::optional<std::string> Share::target_id(Kind kind, const std::string& id) {
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

void Share::plan_model(const std::string& id) {
    const Kind kind = Kind::models;
    const Resource& r = *S.find(kind, id);
    const std::string origin = src(kind, id);
    // A secret written out (its load error blocks the plan) goes into no
    // change, no diff and no plan file.
    if (r.facts.plaintext_secret) return;
    // A file that is not a mapping was refused when loading; that error blocks the plan.
    if (!r.facts.is_map) return;
    bool ok = check_permissions(kind);
    Rewrite after(r, in_.source.documents);

    if (auto source = r.field("source"); !source.empty()) {
        if (auto t = counterpart(Kind::sources, std::string(source), origin, code::source_not_linked)) {
            after.set("source", *t);
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
    if (!links_.in_b(kind, id)) new_model = *tid;
    if (ok) finish_change(kind, id, *tid, after);
}

void Share::plan_sync(const std::string& id) {
    const Kind kind = Kind::syncs;
    const Resource& r = *S.find(kind, id);
    const std::string origin = src(kind, id);
    // A secret written out (its load error blocks the plan) goes into no
    // change, no diff and no plan file.
    if (r.facts.plaintext_secret) return;
    // A file that is not a mapping was refused when loading; that error blocks the plan.
    if (!r.facts.is_map) return;
    bool ok = check_permissions(kind);
    Rewrite after(r, in_.source.documents);

    std::string model(r.field("model"));
    if (const std::string* linked = links_.in_b(Kind::models, model)) {
        after.set("model", *linked);
    } else if (auto created = created_models_.find(model); created != created_models_.end()) {
        after.set("model", created->second);
    } else if (!S.find(Kind::models, model)) {
        ok = false;  // a model that does not exist: its dangling-reference error says so
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
            after.set("destination", *t);
        } else {
            ok = false;
        }
    }

    auto tid = target_id(kind, id);
    if (!tid) return;
    // What T has now: its published sync, else the draft a deployment left
    // (whose target-owned fields are T's all the same).
    const Resource* current = T.find(kind, *tid);
    if (!current) current = T.find_draft(kind, *tid);
    const bool deploy_schedule = in_.options.with_schedule;
    bool schedule_differs = false;

    // SPEC 3.2: fields owned by the target.
    if (current) {
        keep_target_owned(after, *current, in_.target.documents, deploy_schedule);
        if (!deploy_schedule) {
            auto same = same_schedule(r, in_.source.documents, *current, in_.target.documents);
            if (!got(same)) return;
            schedule_differs = !*same;
        }
    } else {
        after.set("enabled", false);
        after.drop("alerts");
        if (!deploy_schedule) after.set("schedule", nlohmann::json{{"type", "manual"}});
    }
    if (deploy_schedule) {
        auto read_type = after.schedule_type();
        if (!got(read_type)) return;
        const std::string& type = *read_type;
        if (auto ext = required_extension_of_schedule(type); !ext.empty() && !T.has_extension(ext)) {
            fail(code::missing_extension,
                 origin + "'s " + type + " schedule needs the '" + std::string(ext) + "' extension, which " + T.name +
                     " does not configure",
                 origin,
                 "add it under `extensions:` in " + T.name + "'s workspace.yaml, or deploy without --with-schedule");
            ok = false;
        }
    }
    // SPEC 6: on an update (T has the sync), whether or not anything else
    // changes: the environments differ, and --with-schedule would deploy it.
    if (schedule_differs) {
        warn(code::schedule_not_deployed, origin + "'s schedule differs from " + dst(kind, *tid) + "'s, which is kept",
             origin, "deploy it with --with-schedule");
    }
    if (ok) finish_change(kind, id, *tid, after);
}

PairVerdict Share::plan(const PairKey& key) {
    plan_ = Plan{};
    new_model.reset();
    if (key.first == Kind::models) plan_model(key.second);
    if (key.first == Kind::syncs) plan_sync(key.second);
    return {key,
            std::move(plan_.diagnostics),
            std::move(plan_.changes),
            std::move(plan_.links),
            std::move(plan_.drafts_replaced),
            std::move(new_model)};
}

// Mode, diff against what T has, drafts replaced, links recorded.
bool Share::finish_change(Kind kind, const std::string& id, const std::string& tid, const Rewrite& rewrite) {
    const std::string origin = src(kind, id);
    if (S.find_draft(kind, id)) {
        warn(code::unpublished_draft,
             origin + " has a pending draft, which is not deployed; the published version is deployed instead", origin,
             "ferry publish " + origin + " first to deploy the draft");
    }
    const Resource* published = T.find(kind, tid);
    const Resource* draft = T.find_draft(kind, tid);

    Level level = level_of(T, in_.actor, kind);
    bool approvals = T.approvals[static_cast<std::size_t>(kind)];
    Mode mode = level == Level::draft || approvals ? Mode::draft : Mode::publish;

    // Nothing to deploy: told in place for the many unchanged resources.
    const bool against_draft = mode == Mode::draft && draft;
    const DocumentSource& t_documents = in_.target.documents;
    if (const Resource* compared = against_draft ? draft : published) {
        auto same = rewrite.same_as(*compared, t_documents, against_draft ? "draft" : "");
        if (!got(same) || *same) return false;
    }
    auto written = rewrite.to_json();
    if (!got(written)) return false;
    nlohmann::json after = std::move(*written);
    nlohmann::json before;
    if (const Resource* current = against_draft ? draft : published) {
        Read root = t_documents.root(*current);
        if (!got(root)) return false;
        before = to_json(*root);
        if (against_draft && before.is_object()) before.erase("draft");
    }
    if (before == after) return false;

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
    // A whole document (T has nothing to compare with) is not copied into
    // its diff: diff_of() makes the diff from `after` when it is rendered.
    // (Unless the document has a `draft` key of its own, which the draft
    // block below would overwrite.)
    change.whole = before.is_null() && after.is_object() && !after.contains("draft");
    if (!change.whole) change.diff = diff_values(before, after);
    change.replaces_draft = draft != nullptr;
    if (mode == Mode::draft) {
        after["draft"] = {{"author", in_.actor}, {"approval", "requested"}, {"origin", S.name + "@" + S.commit}};
    }
    change.after = std::move(after);
    plan_.changes.push_back(std::move(change));
    if (!links_.in_b(kind, id)) plan_.links.push_back({kind, id, tid});
    return true;
}

// Errors found while loading block the plan where they matter: in either
// workspace's own files, in a selected resource, in a resource it writes.

void Planner::block_on_load_errors() {
    auto has_errors = [](const Diagnostics* d) { return d && d->has_errors(); };
    if (!has_errors(in_.source.problems) && !has_errors(in_.target.problems)) return;
    std::set<std::string> relevant_source = {S.name};
    std::set<std::string> relevant_target = {T.name};
    for (const auto& [kind, id] : selected_) {
        relevant_source.insert(src(kind, id));
        const std::string* linked = links_->in_b(kind, id);
        relevant_target.insert(dst(kind, linked ? *linked : id));
    }
    for (const auto& [problems, relevant] :
         {std::pair{in_.source.problems, &relevant_source}, std::pair{in_.target.problems, &relevant_target}}) {
        if (!problems) continue;
        for (const Diagnostic& d : problems->items) {
            if (d.severity == Severity::error && relevant->contains(d.address)) plan_.diagnostics.add(d);
        }
    }
}

void Planner::plan_all(Kind kind, const std::vector<const std::string*>& ids) {
    // Said where the first resource that needs it would say it: a resource
    // that is not a mapping is skipped before.
    if (std::ranges::any_of(ids, [&](const std::string* id) { return S.find(kind, *id)->facts.is_map; })) {
        const std::size_t before = plan_.diagnostics.items.size();
        check_permissions(kind);
        Diagnostics& said = kind == Kind::models ? parts_.models_said : parts_.syncs_said;
        std::ranges::move(plan_.diagnostics.items.begin() + static_cast<std::ptrdiff_t>(before),
                          plan_.diagnostics.items.end(), std::back_inserter(said.items));
        plan_.diagnostics.items.resize(before);
    }
    // Two shares once there is enough to share: each resource costs a few
    // microseconds, a thread about a hundred.
    const std::size_t shares = ids.size() < 512 ? 1 : 2;
    std::vector<std::vector<PairVerdict>> found(shares);
    util::parallel_for(
        shares,
        [&](std::size_t i) {
            Share share(*this);
            const std::size_t begin = ids.size() * i / shares;
            const std::size_t end = ids.size() * (i + 1) / shares;
            for (std::size_t j = begin; j < end; ++j) {
                PairVerdict verdict = share.plan({kind, *ids[j]});
                if (!verdict.empty()) found[i].push_back(std::move(verdict));
            }
        },
        shares);
    for (auto& part : found) {
        for (PairVerdict& verdict : part) {
            if (verdict.created_model) created_models_.emplace(verdict.key.second, *verdict.created_model);
            parts_.pairs.push_back(std::move(verdict));
        }
    }
}

PlanParts Planner::run() {
    // SPEC 1: only workspaces of one organization are deployed between.
    if (S.organization != T.organization) {
        fail(code::different_organization,
             S.name + " belongs to organization '" + S.organization + "' and " + T.name + " to '" + T.organization +
                 "'; deployments stay within one organization",
             T.name, "check `organization:` in both workspace.yaml");
    }
    apply_link_options();
    select();
    list_not_selected();
    add_dependencies();
    block_on_load_errors();
    for (Kind kind : {Kind::models, Kind::syncs}) {
        std::vector<const std::string*> ids;
        for (const auto& [k, id] : selected_) {
            if (k == kind) ids.push_back(&id);
        }
        plan_all(kind, ids);
    }
    parts_.head = std::move(plan_);
    parts_.selected.assign(selected_.begin(), selected_.end());
    return std::move(parts_);
}

std::vector<PairVerdict> Planner::run_pairs(const std::vector<PairKey>& pairs, const PairContext& context) {
    selected_ = context.selected;
    created_models_ = context.created_models;
    for (Kind kind : {Kind::models, Kind::syncs}) {
        if (std::ranges::any_of(pairs, [&](const PairKey& k) { return k.first == kind; })) check_permissions(kind);
    }
    std::vector<PairVerdict> verdicts(pairs.size());
    // Shared out as plan_all() does; each verdict lands in its own slot.
    const std::size_t shares = pairs.size() < 64 ? 1 : 2;
    util::parallel_for(
        shares,
        [&](std::size_t i) {
            Share share(*this);
            for (std::size_t j = pairs.size() * i / shares; j < pairs.size() * (i + 1) / shares; ++j) {
                // A resource the inputs lack (its file is gone) has no verdict.
                verdicts[j] = S.find(pairs[j].first, pairs[j].second) ? share.plan(pairs[j])
                                                                      : PairVerdict{pairs[j], {}, {}, {}, {}, {}};
            }
        },
        shares);
    return verdicts;
}

}  // namespace plan_detail

PlanParts make_plan_parts(const PlanInput& input) {
    return plan_detail::Planner(input).run();
}

Plan make_plan(const PlanInput& input) {
    return assemble(make_plan_parts(input));
}

std::vector<PairVerdict> plan_pairs(const PlanInput& input, const std::vector<PairKey>& pairs,
                                    const PairContext& context) {
    return plan_detail::Planner(input).run_pairs(pairs, context);
}

Plan assemble(PlanParts parts) {
    Plan plan = std::move(parts.head);
    auto take = [](auto& to, auto& from) { std::ranges::move(from, std::back_inserter(to)); };
    for (Kind kind : {Kind::models, Kind::syncs}) {
        take(plan.diagnostics.items, (kind == Kind::models ? parts.models_said : parts.syncs_said).items);
        for (PairVerdict& v : parts.pairs) {
            if (v.key.first != kind) continue;
            take(plan.diagnostics.items, v.diagnostics.items);
            take(plan.changes, v.changes);
            take(plan.links, v.links);
            take(plan.drafts_replaced, v.drafts_replaced);
        }
    }
    std::ranges::sort(plan.links, [](const PlannedLink& a, const PlannedLink& b) {
        return std::tie(a.kind, a.source_id) < std::tie(b.kind, b.source_id);
    });
    if (plan.diagnostics.has_errors()) {
        plan.status = PlanStatus::blocked;
    } else if (!plan.changes.empty() || !plan.links.empty()) {
        plan.status = PlanStatus::ok;
    } else {
        plan.status = PlanStatus::no_changes;
    }
    return plan;
}

}  // namespace ferry
