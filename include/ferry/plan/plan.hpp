// The deployment planner (SPEC 3.2): a pure function of two loaded
// workspaces, their links, the options and the actor.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ferry/model/diagnostic.hpp"
#include "ferry/model/documents.hpp"
#include "ferry/model/links.hpp"
#include "ferry/model/workspace.hpp"

namespace ferry {

inline constexpr int kPlanFormatVersion = 1;

// `--link A=B`: a source or destination of S linked to one of T as part of
// the deployment.
struct LinkOption {
    Kind kind;
    std::string source_id;  // in S
    std::string target_id;  // in T
};

// `--select` and `--exclude`: KIND/ID, with `*` and `?` in the id. Parsed
// once, where the command line (or a plan file) is read.
struct Pattern {
    Kind kind;
    std::string id;
    bool is_glob;

    bool matches(Kind k, std::string_view resource_id) const;
    std::string str() const;  // as written: KIND/ID
    bool operator==(const Pattern&) const = default;
};
// nullopt when `text` is not a KIND/ID pattern.
std::optional<Pattern> parse_pattern(std::string_view text);

struct PlanOptions {
    std::vector<Pattern> select;
    std::vector<Pattern> exclude;
    bool all = false;
    bool with_schedule = false;
    bool include_dependencies = false;
    std::vector<LinkOption> links;
};

struct DiffOp {
    enum class Op { add, remove, replace } op;
    std::string path;       // JSON pointer: /config/mappings/0/to
    nlohmann::json before;  // null for add
    nlohmann::json after;   // null for remove
};
std::string_view op_name(DiffOp::Op op);

// Field-level differences from `before` to `after`, in a stable order
// (keys sorted, list items by index).
std::vector<DiffOp> diff_values(const nlohmann::json& before, const nlohmann::json& after);

enum class Action { create, update };
enum class Mode { publish, draft };

struct Change {
    Kind kind;
    std::string id;         // in T
    std::string origin_id;  // in S
    Action action;
    Mode mode;
    // From what T has to `after` (without the draft block a deployment
    // adds). Read it through diff_of(): when T has nothing to compare with,
    // the diff adds the whole document, and is not held a second time.
    std::vector<DiffOp> diff;
    nlohmann::json after;  // the whole resource to write (a draft's `draft` block included)
    bool replaces_draft = false;
    bool whole = false;  // `diff` is empty: diff_of() makes it from `after`
};

// A change's diff: `diff`, or for a whole document (T had nothing to
// compare with) the addition of each of its keys.
std::vector<DiffOp> diff_of(const Change& change);

struct PlannedLink {
    Kind kind;
    std::string source_id;  // in S
    std::string target_id;  // in T
};

struct WorkspaceAt {
    std::string workspace;
    std::string ref;
    std::string commit;
};

enum class PlanStatus { ok, no_changes, blocked };

struct Plan {
    WorkspaceAt from, to;
    std::string actor;
    PlanOptions options;
    PlanStatus status = PlanStatus::no_changes;
    std::vector<Change> changes;               // by kind, then id
    std::vector<PlannedLink> links;            // new links the deployment records in T
    std::vector<std::string> drafts_replaced;  // addresses in T
    // SPEC 4.1: with the default selection, the deployable resources of S
    // that have no counterpart in T (addresses in S), which it leaves out.
    std::vector<std::string> not_selected;
    Diagnostics diagnostics;  // warnings and errors

    std::size_t count(Action action) const;
};

// One workspace as the planner reads it.
struct PlanSide {
    const Workspace& workspace;
    // The few documents a plan reads: those of the resources it changes (and
    // of any whose fingerprints cannot tell). A document that cannot be read
    // blocks the plan with the source's `git` diagnostic.
    const DocumentSource& documents;
    // What loading the workspace found; errors that concern the deployment
    // block it.
    const Diagnostics* problems = nullptr;
};

struct PlanInput {
    PlanSide source;
    PlanSide target;
    const LinkSet& links;  // a = source, b = target
    const PlanOptions& options;
    std::string actor;
};

// Everything the plan reads comes through `input`: no other I/O, and
// nothing thrown but what allocation throws.
Plan make_plan(const PlanInput& input);

// A selected model or sync of S, by kind and id.
using PairKey = std::pair<Kind, std::string>;

// What the rules of SPEC 3.2 for one selected resource added to its plan:
// its diagnostics, change, link and replaced draft, in the order said.
struct PairVerdict {
    PairKey key;
    Diagnostics diagnostics;
    std::vector<Change> changes;  // none or one
    std::vector<PlannedLink> links;
    std::vector<std::string> drafts_replaced;
    std::optional<std::string> created_model;  // a model the plan creates: its id in T

    bool empty() const {
        return diagnostics.items.empty() && changes.empty() && links.empty() && drafts_replaced.empty() &&
               !created_model;
    }
};

// A plan in parts, so that a later plan of the same workspaces can plan
// again only the resources whose files changed (see load/plan_memo.hpp).
// assemble() puts the parts together as make_plan() would have.
struct PlanParts {
    // Everything no single resource says: the workspaces, options, the
    // diagnostics said before any resource (plus `links-*`), the links
    // --link adds, not_selected. Its changes and drafts are empty.
    Plan head;
    // Said once a kind, before its first resource (permission-denied).
    Diagnostics models_said, syncs_said;
    // The verdicts that are not empty, models then syncs, each by id.
    std::vector<PairVerdict> pairs;
    // Every model and sync selected, by kind then id.
    std::vector<PairKey> selected;
};

PlanParts make_plan_parts(const PlanInput& input);
Plan assemble(PlanParts parts);

// What plan_pairs() needs of the whole plan that it does not plan again:
// whether a sync's model is selected, and the models the plan creates. It
// need only hold the entries of the models the pairs' syncs use.
struct PairContext {
    std::set<PairKey> selected;
    std::map<std::string, std::string> created_models;  // S id -> T id
};

// The verdicts of `pairs` (every one, empty or not, in the order given),
// as make_plan_parts() would find them. The input's workspaces need hold
// only what these resources read: each one in S, what it references and
// their counterparts in T, its own counterpart and draft in T, and the
// workspace files; the links need hold theirs.
std::vector<PairVerdict> plan_pairs(const PlanInput& input, const std::vector<PairKey>& pairs,
                                    const PairContext& context);

std::string_view action_name(Action action);
std::string_view mode_name(Mode mode);
std::string_view status_name(PlanStatus status);

}  // namespace ferry
