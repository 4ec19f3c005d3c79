// The planner in memory: one case per rule, code, rewrite and option of SPEC 3.2.
#include <doctest/doctest.h>

#include <algorithm>

#include "ferry/plan/plan.hpp"
#include "ferry/render/render.hpp"
#include "fixtures.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

const char* kWorkspace =
    "organization: acme\nmembers:\n  alice@acme.com: admin\n  dan@acme.com: { models: draft, syncs: draft }\n"
    "  vic@acme.com: viewer\nextensions: { dbt: {} }\nalerts: { oncall: { type: pagerduty } }\n";

// dev: a warehouse linked to prod's, a Salesforce destination linked to
// prod's; model `users` and sync `users-sf` already deployed and linked.
struct Org {
    MemoryTree dev, prod;
    Org() {
        dev.add("workspace.yaml", kWorkspace);
        dev.add("sources/wh-dev.yaml", "name: WH dev\ntype: snowflake\n");
        dev.add("destinations/sf-sandbox.yaml", "name: SF sandbox\ntype: salesforce\n");
        dev.add("models/users.yaml", "name: Users\nsource: wh-dev\ntype: sql\nsql: select 2\n");
        dev.add("syncs/users-sf.yaml",
                "name: Users to SF\nmodel: users\ndestination: sf-sandbox\nenabled: true\n"
                "schedule: { type: interval, every: 1h }\nconfig: { object: Contact, mappings: [{ from: email, to: "
                "EmailAddress }] }\n");
        dev.add("links.yaml",
                "sources:\n  wh-dev: { prod: wh }\ndestinations:\n  sf-sandbox: { prod: sf }\n"
                "models:\n  users: { prod: users }\nsyncs:\n  users-sf: { prod: users-sf }\n");
        prod.add("workspace.yaml", kWorkspace);
        prod.add("sources/wh.yaml", "name: WH\ntype: snowflake\n");
        prod.add("destinations/sf.yaml", "name: SF\ntype: salesforce\n");
        prod.add("models/users.yaml", "name: Users\nsource: wh\ntype: sql\nsql: select 1\n");
        prod.add("syncs/users-sf.yaml",
                 "name: Users to SF\nmodel: users\ndestination: sf\nenabled: false\nalerts: [oncall]\n"
                 "schedule: { type: cron, expression: '0 6 * * *' }\nconfig: { object: Contact, mappings: [{ from: "
                 "email, to: Email }] }\n");
    }
};

struct Planned {
    LoadedWorkspace source, target;
    Plan plan;
};

Planned plan(const Org& org, PlanOptions options = {}, std::string actor = "alice@acme.com") {
    Planned p{load(org.dev, "dev"), load(org.prod, "prod"), {}};
    REQUIRE_MESSAGE(!p.source.diagnostics.has_errors(), p.source.diagnostics.items.front().message);
    REQUIRE_MESSAGE(!p.target.diagnostics.has_errors(), p.target.diagnostics.items.front().message);
    Diagnostics link_problems;
    LinkSet links = resolve_links(p.source.workspace, p.target.workspace, link_problems);
    p.plan = make_plan({{p.source.workspace, *p.source.documents, &p.source.diagnostics},
                        {p.target.workspace, *p.target.documents, &p.target.diagnostics},
                        links,
                        options,
                        std::move(actor)});
    return p;
}

const Change* change(const Plan& plan, Kind kind, std::string_view id) {
    for (const Change& c : plan.changes) {
        if (c.kind == kind && c.id == id) return &c;
    }
    return nullptr;
}

bool has(const Plan& plan, std::string_view code, std::string_view address = {}) {
    for (const auto& d : plan.diagnostics.items) {
        if (d.code == code && (address.empty() || d.address == address)) return true;
    }
    return false;
}

std::vector<Pattern> patterns(std::initializer_list<const char*> texts) {
    std::vector<Pattern> out;
    for (const char* text : texts) {
        auto p = parse_pattern(text);
        REQUIRE(p);
        out.push_back(*p);
    }
    return out;
}

PlanOptions select(std::initializer_list<const char*> texts) {
    PlanOptions o;
    o.select = patterns(texts);
    return o;
}

}  // namespace

TEST_CASE("plan: by default, every linked model and sync, with references rewritten") {
    Org org;
    auto p = plan(org);
    CHECK(p.plan.status == PlanStatus::ok);
    REQUIRE(p.plan.changes.size() == 2);
    const Change* model = change(p.plan, Kind::models, "users");
    REQUIRE(model);
    CHECK(model->action == Action::update);
    CHECK(model->mode == Mode::publish);
    CHECK(model->after["source"] == "wh");  // dev's wh-dev rewritten
    REQUIRE(model->diff.size() == 1);
    CHECK(model->diff[0].op == DiffOp::Op::replace);
    CHECK(model->diff[0].path == "/sql");
    CHECK(model->diff[0].before == "select 1");
    CHECK(model->diff[0].after == "select 2");

    const Change* sync = change(p.plan, Kind::syncs, "users-sf");
    REQUIRE(sync);
    CHECK(sync->after["model"] == "users");
    CHECK(sync->after["destination"] == "sf");
    REQUIRE(sync->diff.size() == 1);
    CHECK(sync->diff[0].path == "/config/mappings/0/to");
    CHECK(p.plan.links.empty());
    CHECK(p.plan.count(Action::update) == 2);
}

TEST_CASE("plan: target-owned fields survive an update") {
    Org org;
    auto p = plan(org);
    const Change* sync = change(p.plan, Kind::syncs, "users-sf");
    REQUIRE(sync);
    CHECK(sync->after["enabled"] == false);
    CHECK(sync->after["alerts"] == nlohmann::json::array({"oncall"}));
    CHECK(sync->after["schedule"]["type"] == "cron");
    CHECK(has(p.plan, code::schedule_not_deployed, "dev:syncs/users-sf"));

    SUBCASE("--with-schedule deploys the schedule, not enabled or alerts") {
        PlanOptions o;
        o.with_schedule = true;
        auto q = plan(org, o);
        const Change* s = change(q.plan, Kind::syncs, "users-sf");
        REQUIRE(s);
        CHECK(s->after["schedule"]["type"] == "interval");
        CHECK(s->after["enabled"] == false);
        CHECK(s->after["alerts"] == nlohmann::json::array({"oncall"}));
        CHECK_FALSE(has(q.plan, code::schedule_not_deployed));
    }
    SUBCASE("a field the target lacks stays absent") {
        org.prod.add("syncs/users-sf.yaml",
                     "name: Users to SF\nmodel: users\ndestination: sf\nconfig: { object: Contact, mappings: [{ from: "
                     "email, to: Email }] }\n");
        auto q = plan(org);
        const Change* s = change(q.plan, Kind::syncs, "users-sf");
        REQUIRE(s);
        CHECK_FALSE(s->after.contains("enabled"));
        CHECK_FALSE(s->after.contains("schedule"));
    }
}

TEST_CASE("plan: creating a resource") {
    Org org;
    org.dev.add("models/ltv.yaml", "name: LTV\nsource: wh-dev\ntype: dbt\ndbt: { model: ltv }\n");
    org.dev.add("syncs/ltv-sf.yaml",
                "name: LTV\nmodel: ltv\ndestination: sf-sandbox\nenabled: true\nalerts: []\n"
                "schedule: { type: interval, every: 1d }\n");
    auto p = plan(org, select({"models/ltv", "syncs/ltv-sf"}));
    CHECK(p.plan.status == PlanStatus::ok);
    REQUIRE(p.plan.changes.size() == 2);
    const Change* sync = change(p.plan, Kind::syncs, "ltv-sf");
    REQUIRE(sync);
    CHECK(sync->action == Action::create);
    CHECK(sync->after["enabled"] == false);  // SPEC 3.2: created disabled
    CHECK_FALSE(sync->after.contains("alerts"));
    CHECK(sync->after["schedule"] == nlohmann::json{{"type", "manual"}});
    CHECK(sync->after["model"] == "ltv");  // created by this same deployment
    REQUIRE(p.plan.links.size() == 2);
    CHECK(p.plan.links[0].kind == Kind::models);
    CHECK(p.plan.links[1].kind == Kind::syncs);
    REQUIRE_FALSE(diff_of(*sync).empty());
    CHECK(diff_of(*sync).front().op == DiffOp::Op::add);

    SUBCASE("--with-schedule keeps S's schedule on create") {
        auto o = select({"models/ltv", "syncs/ltv-sf"});
        o.with_schedule = true;
        auto q = plan(org, o);
        REQUIRE(change(q.plan, Kind::syncs, "ltv-sf"));
        CHECK(change(q.plan, Kind::syncs, "ltv-sf")->after["schedule"]["every"] == "1d");
    }
}

TEST_CASE("plan: selection") {
    Org org;
    org.dev.add("models/a1.yaml", "name: A1\nsource: wh-dev\ntype: table\ntable: a1\n");
    org.dev.add("models/a2.yaml", "name: A2\nsource: wh-dev\ntype: table\ntable: a2\n");
    org.dev.add("drafts/models/a3.yaml",
                "draft: { author: a@b.c }\nname: A3\nsource: wh-dev\ntype: table\ntable: a3\n");

    SUBCASE("--select replaces the default with what it names") {
        auto p = plan(org, select({"models/a*"}));
        CHECK(p.plan.changes.size() == 2);  // a1, a2: the glob skips the draft-only a3
        CHECK_FALSE(change(p.plan, Kind::models, "users"));
    }
    SUBCASE("--all") {
        PlanOptions o;
        o.all = true;
        CHECK(plan(org, o).plan.changes.size() == 4);
    }
    SUBCASE("--exclude wins over whatever selected") {
        PlanOptions o;
        o.all = true;
        o.exclude = patterns({"models/a1", "syncs/*"});
        auto p = plan(org, o);
        CHECK(p.plan.changes.size() == 2);
        CHECK_FALSE(change(p.plan, Kind::models, "a1"));
    }
    SUBCASE("a glob that matches nothing selects nothing") {
        auto p = plan(org, select({"models/zz*"}));
        CHECK(p.plan.status == PlanStatus::no_changes);
        REQUIRE(p.plan.diagnostics.items.size() == 1);  // SPEC 6: said, as a warning
        CHECK(p.plan.diagnostics.items[0].code == code::empty_selection);
        CHECK(p.plan.diagnostics.items[0].severity == Severity::warning);
    }
    SUBCASE("unknown-resource") {
        auto p = plan(org, select({"models/nope"}));
        CHECK(p.plan.status == PlanStatus::blocked);
        CHECK(has(p.plan, code::unknown_resource, "dev:models/nope"));
    }
    SUBCASE("draft-only") {
        auto p = plan(org, select({"models/a3"}));
        CHECK(has(p.plan, code::draft_only, "dev:models/a3"));
        CHECK(p.plan.status == PlanStatus::blocked);
    }
    SUBCASE("not-deployable") {
        for (const char* pattern : {"sources/wh-dev", "destinations/*", "audiences/vip"}) {
            auto p = plan(org, select({pattern}));
            CHECK(has(p.plan, code::not_deployable));
            CHECK(p.plan.status == PlanStatus::blocked);
        }
    }
}

TEST_CASE("plan: parse_pattern") {
    CHECK(parse_pattern("models/active-users"));
    CHECK(parse_pattern("syncs/*")->is_glob);
    CHECK(parse_pattern("models/a?c"));
    CHECK_FALSE(parse_pattern("models"));
    CHECK_FALSE(parse_pattern("widgets/x"));
    CHECK_FALSE(parse_pattern("models/"));
    CHECK_FALSE(parse_pattern("models/Upper"));
    CHECK_FALSE(parse_pattern("models/../x"));
    CHECK_FALSE(parse_pattern("models/[ab]"));
    CHECK(parse_pattern("syncs/a*")->str() == "syncs/a*");
    CHECK(parse_pattern("syncs/a*")->matches(Kind::syncs, "abc"));
    CHECK_FALSE(parse_pattern("syncs/a*")->matches(Kind::models, "abc"));
    CHECK_FALSE(parse_pattern("models/a?")->matches(Kind::models, "abc"));
}

TEST_CASE("plan: dependencies must be linked") {
    Org org;
    SUBCASE("source-not-linked") {
        org.dev.add("sources/other.yaml", "name: O\ntype: snowflake\n");
        org.dev.add("models/m.yaml", "name: M\nsource: other\ntype: table\ntable: t\n");
        auto p = plan(org, select({"models/m"}));
        CHECK(has(p.plan, code::source_not_linked, "dev:models/m"));
        CHECK(p.plan.status == PlanStatus::blocked);
        CHECK(p.plan.diagnostics.items.front().hint.find("ferry link dev:sources/other") != std::string::npos);
    }
    SUBCASE("--link links it as part of the deployment") {
        org.dev.add("sources/other.yaml", "name: O\ntype: snowflake\n");
        org.prod.add("sources/other-prod.yaml", "name: O\ntype: snowflake\n");
        org.dev.add("models/m.yaml", "name: M\nsource: other\ntype: table\ntable: t\n");
        auto o = select({"models/m"});
        o.links.push_back({Kind::sources, "other", "other-prod"});
        auto p = plan(org, o);
        CHECK(p.plan.status == PlanStatus::ok);
        REQUIRE(change(p.plan, Kind::models, "m"));
        CHECK(change(p.plan, Kind::models, "m")->after["source"] == "other-prod");
        CHECK(p.plan.links.size() == 2);  // the source, and the created model
    }
    SUBCASE("--link under every rule of linking") {
        org.prod.add("sources/pg.yaml", "name: P\ntype: postgres\n");
        org.dev.add("sources/other.yaml", "name: O\ntype: snowflake\n");
        PlanOptions o;
        o.links.push_back({Kind::sources, "other", "pg"});
        CHECK(has(plan(org, o).plan, code::type_mismatch));
    }
    SUBCASE("type-mismatch between linked sources") {
        org.prod.add("sources/wh.yaml", "name: WH\ntype: bigquery\n");
        auto p = plan(org);
        CHECK(has(p.plan, code::type_mismatch, "dev:models/users"));
    }
    SUBCASE("model-not-linked") {
        org.dev.add("models/new.yaml", "name: N\nsource: wh-dev\ntype: table\ntable: t\n");
        org.dev.add("syncs/new-sf.yaml", "name: S\nmodel: new\ndestination: sf-sandbox\n");
        auto p = plan(org, select({"syncs/new-sf"}));
        CHECK(has(p.plan, code::model_not_linked, "dev:syncs/new-sf"));
        SUBCASE("--include-dependencies adds the model instead") {
            auto o = select({"syncs/new-sf"});
            o.include_dependencies = true;
            auto q = plan(org, o);
            CHECK(q.plan.status == PlanStatus::ok);
            CHECK(change(q.plan, Kind::models, "new"));
            CHECK(change(q.plan, Kind::syncs, "new-sf"));
        }
        SUBCASE("but not when the model is excluded") {
            auto o = select({"syncs/new-sf"});
            o.include_dependencies = true;
            o.exclude = patterns({"models/new"});
            CHECK(has(plan(org, o).plan, code::model_not_linked));
        }
    }
    SUBCASE("destination-not-linked") {
        org.dev.add("destinations/hub.yaml", "name: H\ntype: hubspot\n");
        org.dev.add("syncs/to-hub.yaml", "name: S\nmodel: users\ndestination: hub\n");
        auto p = plan(org, select({"syncs/to-hub"}));
        CHECK(has(p.plan, code::destination_not_linked, "dev:syncs/to-hub"));
    }
}

TEST_CASE("plan: missing-extension") {
    Org org;
    org.prod.add("workspace.yaml",
                 "organization: acme\nmembers: { alice@acme.com: admin }\nalerts: { oncall: { type: x } }\n");
    SUBCASE("a dbt model") {
        org.dev.add("models/ltv.yaml", "name: LTV\nsource: wh-dev\ntype: dbt\ndbt: { model: ltv }\n");
        CHECK(has(plan(org, select({"models/ltv"})).plan, code::missing_extension, "dev:models/ltv"));
    }
    SUBCASE("a dbt-cloud schedule, only when the schedule is deployed") {
        org.dev.add("workspace.yaml", std::string(kWorkspace) + "");
        org.dev.add("workspace.yaml",
                    "organization: acme\nmembers: { alice@acme.com: admin }\nextensions: { dbt-cloud: {} }\n");
        org.dev.add(
            "syncs/users-sf.yaml",
            "name: Users to SF\nmodel: users\ndestination: sf-sandbox\nschedule: { type: dbt-cloud, job: 1 }\n");
        CHECK_FALSE(has(plan(org).plan, code::missing_extension));
        PlanOptions o;
        o.with_schedule = true;
        CHECK(has(plan(org, o).plan, code::missing_extension, "dev:syncs/users-sf"));
    }
}

TEST_CASE("plan: target-exists") {
    Org org;
    org.dev.add("models/accounts.yaml", "name: A\nsource: wh-dev\ntype: table\ntable: a\n");
    org.prod.add("models/accounts.yaml", "name: A\nsource: wh\ntype: table\ntable: a\n");
    auto p = plan(org, select({"models/accounts"}));
    CHECK(has(p.plan, code::target_exists, "dev:models/accounts"));
    CHECK(p.plan.status == PlanStatus::blocked);
}

TEST_CASE("plan: drafts") {
    Org org;
    SUBCASE("a pending draft in S is not deployed") {
        org.dev.add("drafts/models/users.yaml",
                    "draft: { author: a@b.c }\nname: Users\nsource: wh-dev\ntype: sql\nsql: select 3\n");
        auto p = plan(org);
        CHECK(has(p.plan, code::unpublished_draft, "dev:models/users"));
        CHECK(change(p.plan, Kind::models, "users")->after["sql"] == "select 2");
    }
    SUBCASE("a draft in T is replaced") {
        org.prod.add("drafts/models/users.yaml",
                     "draft: { author: a@b.c }\nname: Users\nsource: wh\ntype: sql\nsql: select 9\n");
        auto p = plan(org);
        CHECK(has(p.plan, code::target_draft_replaced));
        REQUIRE(p.plan.drafts_replaced.size() == 1);
        CHECK(p.plan.drafts_replaced[0] == "prod:models/users");
    }
    SUBCASE("lands-as-draft when T requires approval") {
        org.prod.add("workspace.yaml", std::string(kWorkspace) + "approvals: { syncs: true }\n");
        auto p = plan(org);
        CHECK(has(p.plan, code::lands_as_draft));
        CHECK(change(p.plan, Kind::syncs, "users-sf")->mode == Mode::draft);
        CHECK(change(p.plan, Kind::syncs, "users-sf")->after["draft"]["approval"] == "requested");
        CHECK(change(p.plan, Kind::models, "users")->mode == Mode::publish);
        CHECK(p.plan.status == PlanStatus::ok);
    }
    SUBCASE("lands-as-draft when the actor may only draft") {
        auto p = plan(org, {}, "dan@acme.com");
        CHECK(has(p.plan, code::lands_as_draft));
        for (const Change& c : p.plan.changes)
            CHECK(c.mode == Mode::draft);
    }
}

TEST_CASE("plan: permissions") {
    Org org;
    SUBCASE("a viewer of T is refused") {
        auto p = plan(org, {}, "vic@acme.com");
        CHECK(has(p.plan, code::permission_denied, "prod"));
        CHECK(p.plan.status == PlanStatus::blocked);
    }
    SUBCASE("no view in S") {
        org.dev.add("workspace.yaml", "organization: acme\nmembers: { bob@acme.com: admin }\n");
        org.dev.add("syncs/users-sf.yaml", "name: S\nmodel: users\ndestination: sf-sandbox\n");
        auto p = plan(org);
        CHECK(has(p.plan, code::permission_denied, "dev"));
    }
}

TEST_CASE("plan: no changes, and a stable order") {
    Org org;
    org.dev.add("models/users.yaml", "name: Users\nsource: wh-dev\ntype: sql\nsql: select 1\n");
    org.dev.add("syncs/users-sf.yaml",
                "name: Users to SF\nmodel: users\ndestination: sf-sandbox\nconfig: { object: Contact, mappings: [{ "
                "from: email, to: "
                "Email }] }\n");
    auto p = plan(org);
    CHECK(p.plan.changes.empty());
    CHECK(p.plan.status == PlanStatus::no_changes);

    Org other;
    auto first = plan(other);
    auto second = plan(other);
    REQUIRE(first.plan.changes.size() == second.plan.changes.size());
    CHECK(first.plan.changes[0].kind == Kind::models);
    CHECK(first.plan.changes[1].kind == Kind::syncs);
}

TEST_CASE("plan: load errors in what is deployed block it") {
    Org org;
    org.dev.add("models/users.yaml", "name: Users\nsource: wh-dev\ntype: sql\n");  // no sql
    Planned p{load(org.dev, "dev"), load(org.prod, "prod"), {}};
    Diagnostics ignored;
    LinkSet links = resolve_links(p.source.workspace, p.target.workspace, ignored);
    PlanOptions o;
    Plan result = make_plan({{p.source.workspace, *p.source.documents, &p.source.diagnostics},
                             {p.target.workspace, *p.target.documents, &p.target.diagnostics},
                             links,
                             o,
                             "alice@acme.com"});
    CHECK(result.status == PlanStatus::blocked);
    CHECK(has(result, code::schema, "dev:models/users"));
}

// What a partial clone or a pruned repository looks like to the planner:
// facts loaded (from the cache, say), documents gone.
struct MissingDocuments : DocumentSource {
    std::expected<yaml::Node, Diagnostic> root(const Resource& r) const override {
        return std::unexpected(error(code::git, r.file + " cannot be read", {r.file, 0, 0}));
    }
};

TEST_CASE("plan: a document that cannot be read blocks the plan with its git diagnostic, and nothing is thrown") {
    Org org;  // users differs between dev and prod: planning reads both documents
    Planned p{load(org.dev, "dev"), load(org.prod, "prod"), {}};
    Diagnostics ignored;
    LinkSet links = resolve_links(p.source.workspace, p.target.workspace, ignored);
    PlanOptions o;
    MissingDocuments missing;
    for (bool source_missing : {true, false}) {
        CAPTURE(source_missing);
        const DocumentSource& s = source_missing ? missing : *p.source.documents;
        const DocumentSource& t = source_missing ? *p.target.documents : missing;
        Plan result;
        CHECK_NOTHROW(result = make_plan({{p.source.workspace, s, &p.source.diagnostics},
                                          {p.target.workspace, t, &p.target.diagnostics},
                                          links,
                                          o,
                                          "alice@acme.com"}));
        CHECK(result.status == PlanStatus::blocked);
        CHECK(result.changes.empty());
        auto d = find_code(result.diagnostics, code::git);
        REQUIRE(d);
        CHECK(d->location.file == "models/users.yaml");
    }
    // Unchanged resources are told from fingerprints: no document is read.
    Org same;
    same.dev.add("models/users.yaml", "name: Users\nsource: wh-dev\ntype: sql\nsql: select 1\n");
    same.dev.add("syncs/users-sf.yaml",
                 "name: Users to SF\nmodel: users\ndestination: sf-sandbox\n"
                 "schedule: { type: cron, expression: '0 6 * * *' }\nconfig: { object: Contact, mappings: [{ from: "
                 "email, to: Email }] }\n");
    Planned q{load(same.dev, "dev"), load(same.prod, "prod"), {}};
    LinkSet same_links = resolve_links(q.source.workspace, q.target.workspace, ignored);
    Plan unchanged = make_plan({{q.source.workspace, missing, &q.source.diagnostics},
                                {q.target.workspace, missing, &q.target.diagnostics},
                                same_links,
                                o,
                                "alice@acme.com"});
    CHECK(unchanged.status == PlanStatus::no_changes);
    CHECK(unchanged.diagnostics.items.empty());
}

TEST_CASE("diff_values") {
    using nlohmann::json;
    auto d = diff_values(json{{"a", 1}, {"b", {1, 2, 3}}, {"c", "x"}}, json{{"a", 2}, {"b", {1}}, {"d", true}});
    REQUIRE(d.size() == 5);
    CHECK(d[0].path == "/a");
    CHECK(d[0].op == DiffOp::Op::replace);
    CHECK(d[1].path == "/b/2");  // removed from the end backwards
    CHECK(d[2].path == "/b/1");
    CHECK(d[3].path == "/c");
    CHECK(d[3].op == DiffOp::Op::remove);
    CHECK(d[4].path == "/d");
    CHECK(d[4].op == DiffOp::Op::add);
    CHECK(diff_values(json{{"a/b", 1}}, json{{"a/b", 2}})[0].path == "/a~1b");
    CHECK(diff_values(json{{"x", 1}}, json{{"x", 1}}).empty());
}

TEST_CASE("plan: different-organization") {
    Org org;
    org.prod.add("workspace.yaml",
                 "organization: globex\nmembers: { alice@acme.com: admin }\nalerts: { oncall: { type: x } }\n");
    auto p = plan(org);
    CHECK(has(p.plan, code::different_organization));
    CHECK(p.plan.status == PlanStatus::blocked);
}

TEST_CASE("plan: a sync whose counterpart is only a draft keeps the draft's target-owned fields") {
    Org org;
    org.prod.add("syncs/users-sf.yaml", "");  // replaced below: no published file
    MemoryTree prod;
    for (const auto& e : org.prod.entries()) {
        if (e.path != "syncs/users-sf.yaml") prod.add(e.path, *org.prod.read(e, 1 << 20));
    }
    prod.add("drafts/syncs/users-sf.yaml",
             "draft: { author: a@b.c, approval: requested }\nname: Users to SF\nmodel: users\ndestination: sf\n"
             "enabled: true\nalerts: [oncall]\nschedule: { type: cron, expression: '0 6 * * *' }\n");
    org.prod = prod;
    auto p = plan(org);
    const Change* sync = change(p.plan, Kind::syncs, "users-sf");
    REQUIRE(sync);
    CHECK(sync->after["enabled"] == true);
    CHECK(sync->after["alerts"] == nlohmann::json::array({"oncall"}));
    CHECK(sync->after["schedule"]["type"] == "cron");
    CHECK(has(p.plan, code::schedule_not_deployed));
}

TEST_CASE("plan: schedule-not-deployed is said for a sync T has, even when nothing else changes") {
    Org org;
    // Everything equal but the schedule, which is kept: nothing to deploy.
    org.dev.add("models/users.yaml", "name: Users\nsource: wh-dev\ntype: sql\nsql: select 1\n");
    org.dev.add("syncs/users-sf.yaml",
                "name: Users to SF\nmodel: users\ndestination: sf-sandbox\nschedule: { type: interval, every: 1h }\n"
                "config: { object: Contact, mappings: [{ from: email, to: Email }] }\n");
    auto p = plan(org);
    CHECK(p.plan.changes.empty());
    CHECK(has(p.plan, code::schedule_not_deployed, "dev:syncs/users-sf"));
}

// An incremental plan (docs/incremental-plans.md) plans chosen resources
// again with plan_pairs() and puts their verdicts in place of the old ones:
// each verdict must be the one the whole plan found, and the parts must
// assemble into make_plan()'s plan.
TEST_CASE("plan: a resource planned alone gets the verdict the whole plan gave it") {
    Org org;
    org.dev.add("models/fresh.yaml", "name: Fresh\nsource: wh-dev\ntype: sql\nsql: select 3\n");
    org.dev.add("syncs/fresh-sf.yaml",
                "name: Fresh to SF\nmodel: fresh\ndestination: sf-sandbox\nschedule: { type: manual }\n"
                "config: { object: Lead }\n");
    for (const char* actor : {"alice@acme.com", "dan@acme.com", "vic@acme.com"}) {
        for (bool all : {false, true}) {
            CAPTURE(actor);
            CAPTURE(all);
            PlanOptions options;
            options.all = all;
            LoadedWorkspace source = load(org.dev, "dev");
            LoadedWorkspace target = load(org.prod, "prod");
            Diagnostics link_problems;
            LinkSet links = resolve_links(source.workspace, target.workspace, link_problems);
            PlanInput input{{source.workspace, *source.documents, &source.diagnostics},
                            {target.workspace, *target.documents, &target.diagnostics},
                            links,
                            options,
                            actor};
            PlanParts parts = make_plan_parts(input);
            CHECK(plan_json(assemble(parts)) == plan_json(make_plan(input)));

            PairContext context;
            context.selected.insert(parts.selected.begin(), parts.selected.end());
            for (const PairVerdict& v : parts.pairs) {
                if (v.created_model) context.created_models.emplace(v.key.second, *v.created_model);
            }
            std::vector<PairVerdict> alone = plan_pairs(input, parts.selected, context);
            REQUIRE(alone.size() == parts.selected.size());
            std::size_t found = 0;
            for (const PairVerdict& v : alone) {
                CAPTURE(v.key.second);
                auto it = std::ranges::find(parts.pairs, v.key, &PairVerdict::key);
                if (it == parts.pairs.end()) {
                    CHECK(v.empty());
                    continue;
                }
                ++found;
                PlanParts one, other;
                one.pairs.push_back(v);
                other.pairs.push_back(*it);
                CHECK(plan_json(assemble(one)) == plan_json(assemble(other)));
                CHECK(v.created_model == it->created_model);
            }
            CHECK(found == parts.pairs.size());
        }
    }
}
