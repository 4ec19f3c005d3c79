// The planner's state, shared by its files: selection (select.cpp) and
// the rules of SPEC 3.2 (planner.cpp). Private to src/plan/.
#pragma once

#include <array>
#include <expected>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "ferry/plan/plan.hpp"

namespace ferry::plan_detail {

using Key = std::pair<Kind, std::string>;

inline bool is_deployable(Kind kind) {
    return kind == Kind::models || kind == Kind::syncs;
}

inline std::string singular(Kind kind) {
    std::string k(kind_name(kind));
    k.pop_back();
    return k;
}

// A missing schedule is manual (SPEC 2.4).
inline nlohmann::json schedule_of(const nlohmann::json& resource) {
    auto it = resource.is_object() ? resource.find("schedule") : resource.end();
    return it == resource.end() || !it->is_object() ? nlohmann::json{{"type", "manual"}} : *it;
}

// The schedule's type, "manual" when it has none that reads as one.
inline std::string schedule_type(const nlohmann::json& resource) {
    nlohmann::json schedule = schedule_of(resource);
    auto it = schedule.find("type");
    return it != schedule.end() && it->is_string() ? it->get<std::string>() : "manual";
}

// A document read through a DocumentSource: its root, or the diagnostic
// that says why it cannot be read.
using Read = std::expected<yaml::Node, Diagnostic>;

// What a deployment writes: the source's document with some fields set (a
// counterpart's id, a field T owns) or dropped. Most resources of a plan
// are unchanged: those are told from the resources' fingerprints, and
// their documents are neither read nor built as JSON. Whatever reads a
// document returns the diagnostic of a read that failed.
class Rewrite {
public:
    Rewrite(const Resource& source, const DocumentSource& documents) : source_(source), documents_(documents) {}
    void set(std::string key, nlohmann::json value) { put(std::move(key), std::move(value)); }
    // The value `from` (read through `documents`) has under the same key.
    void set_from(std::string key, const Resource& from, const DocumentSource& documents) {
        put(std::move(key), Taken{&from, &documents});
    }
    void drop(std::string key) { put(std::move(key), std::monostate{}); }

    // True when the result equals `before` without its top-level `skip_key`.
    std::expected<bool, Diagnostic> same_as(const Resource& before, const DocumentSource& before_documents,
                                            std::string_view skip_key) const;
    std::expected<nlohmann::json, Diagnostic> to_json() const;
    // The schedule's type, as schedule_type() reads it from to_json().
    std::expected<std::string, Diagnostic> schedule_type() const;

private:
    struct Taken {
        const Resource* from;
        const DocumentSource* documents;
        Read value(const std::string& key) const;
    };
    using Value = std::variant<std::monostate, nlohmann::json, Taken>;
    struct Field {
        std::string key;
        Value value;
    };
    void put(std::string key, Value value);
    const Field* find(std::string_view key) const;
    // same_as from fingerprints; nullopt when they cannot tell.
    std::optional<bool> same_by_hash(const Resource& before, std::string_view skip_key) const;
    // same_as from the documents.
    std::expected<bool, Diagnostic> same_by_value(yaml::Node before, std::string_view skip_key) const;

    const Resource& source_;
    const DocumentSource& documents_;
    std::vector<Field> fields_;
};

// SPEC 3.2: the fields a target owns (`enabled`, `alerts`, and `schedule`
// unless `with_schedule`) are kept from what T has now, `current`: set from
// it, or dropped when it has none. Shared by the planner and `status`, so
// that both tell a no-op alike.
void keep_target_owned(Rewrite& after, const Resource& current, const DocumentSource& documents, bool with_schedule);

inline void add_error(Diagnostics& to, std::string_view code, std::string message, std::string addr, std::string hint) {
    Diagnostic d = error(code, std::move(message), {}, std::move(addr));
    d.hint = std::move(hint);
    to.add(std::move(d));
}
inline void add_warning(Diagnostics& to, std::string_view code, std::string message, std::string addr,
                        std::string hint) {
    Diagnostic d = warning(code, std::move(message), {}, std::move(addr));
    d.hint = std::move(hint);
    to.add(std::move(d));
}

class Share;

class Planner {
public:
    explicit Planner(const PlanInput& in) : in_(in), S(in.source.workspace), T(in.target.workspace), links_(&in.links) {
        plan_.from = {S.name, S.ref, S.commit};
        plan_.to = {T.name, T.ref, T.commit};
        plan_.actor = in.actor;
        plan_.options = in.options;
    }

    PlanParts run();
    // plan_pairs(): these resources alone, in a context given.
    std::vector<PairVerdict> run_pairs(const std::vector<PairKey>& pairs, const PairContext& context);

private:
    friend class Share;

    void fail(std::string_view code, std::string message, std::string addr, std::string hint = {}) {
        add_error(plan_.diagnostics, code, std::move(message), std::move(addr), std::move(hint));
    }
    std::string src(Kind kind, const std::string& id) const { return address(S.name, kind, id); }
    std::string dst(Kind kind, const std::string& id) const { return address(T.name, kind, id); }

    void block_on_load_errors();
    void apply_link_options();
    void select();
    // SPEC 4.1: what the default selection leaves out.
    void list_not_selected();
    // The id of `kind` in S nearest to `id`, or empty.
    std::string nearest_id(Kind kind, std::string_view id) const;
    // SPEC 6: a glob that matches nothing.
    void warn_empty(std::string_view option, const Pattern& p);
    void add_dependencies();
    // SPEC 3.2: view on the kind in S, at least draft in T; said once.
    void check_permissions(Kind kind);
    // Plans these selected resources of one kind, in shares side by side.
    void plan_all(Kind kind, const std::vector<const std::string*>& ids);

    const PlanInput& in_;
    const Workspace& S;
    const Workspace& T;
    const LinkSet* links_;  // the input's, or own_links_ with --link
    std::optional<LinkSet> own_links_;
    Plan plan_;  // the head of parts_ while it is made
    PlanParts parts_;
    std::set<Key> selected_;
    std::map<std::string, std::string> created_models_;  // S id -> T id, models this plan creates
    std::array<bool, kAllKinds.size()> permitted_{};     // by Kind, once check_permissions said
};

// Plans a share of the selected models or syncs: the rules of SPEC 3.2 for
// one resource at a time, with what it finds kept apart. Shares are planned
// side by side and merged in selection order, so a plan is the same however
// it was shared out.
class Share {
public:
    explicit Share(const Planner& p)
        : in_(p.in_),
          S(p.S),
          T(p.T),
          links_(*p.links_),
          selected_(p.selected_),
          created_models_(p.created_models_),
          permitted_(p.permitted_) {}

    // The rules for one model or sync, kept apart from the others'.
    PairVerdict plan(const PairKey& key);

private:
    void plan_model(const std::string& id);
    void plan_sync(const std::string& id);

    Plan plan_;                            // one resource's diagnostics, changes, links and drafts replaced
    std::optional<std::string> new_model;  // the model's id in T, when it creates it

    void fail(std::string_view code, std::string message, std::string addr, std::string hint = {}) {
        add_error(plan_.diagnostics, code, std::move(message), std::move(addr), std::move(hint));
    }
    void warn(std::string_view code, std::string message, std::string addr, std::string hint = {}) {
        add_warning(plan_.diagnostics, code, std::move(message), std::move(addr), std::move(hint));
    }
    std::string src(Kind kind, const std::string& id) const { return address(S.name, kind, id); }
    std::string dst(Kind kind, const std::string& id) const { return address(T.name, kind, id); }
    bool check_permissions(Kind kind) const { return permitted_[static_cast<std::size_t>(kind)]; }
    // The counterpart in T of S's source or destination `id`, checked for
    // link and type; nullopt (with an error) when there is none.
    std::optional<std::string> counterpart(Kind kind, const std::string& id, const std::string& origin,
                                           std::string_view not_linked_code);
    // The id the resource will have in T: its linked counterpart, else the
    // same id when that is free (else target-exists).
    std::optional<std::string> target_id(Kind kind, const std::string& id);
    // Records the change; false when it would change nothing (or a
    // document could not be read, which is said).
    bool finish_change(Kind kind, const std::string& id, const std::string& tid, const Rewrite& after);
    // The value, or false with its diagnostic said.
    template <class V>
    bool got(const std::expected<V, Diagnostic>& read) {
        if (!read) plan_.diagnostics.add(read.error());
        return read.has_value();
    }

    const PlanInput& in_;
    const Workspace& S;
    const Workspace& T;
    const LinkSet& links_;
    const std::set<Key>& selected_;
    const std::map<std::string, std::string>& created_models_;
    const std::array<bool, kAllKinds.size()>& permitted_;
};

}  // namespace ferry::plan_detail
