// `ferry status` in memory: inventories, and drift told as the planner
// tells a no-op.
#include <doctest/doctest.h>

#include <map>

#include "ferry/model/drafts.hpp"
#include "ferry/plan/status.hpp"
#include "ferry/yaml/yaml.hpp"
#include "fixtures.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

const char* kWorkspace =
    "organization: acme\nmembers:\n  alice@acme.com: admin\nalerts: { oncall: { type: pagerduty } }\n"
    "approvals: { syncs: true }\n";

// dev and prod with a model and a sync deployed and linked, equal but for
// what prod owns (enabled, alerts, schedule) and what links rewrite.
struct Org {
    std::map<std::string, std::string> dev = {
        {"workspace.yaml", kWorkspace},
        {"sources/wh-dev.yaml", "name: WH dev\ntype: snowflake\n"},
        {"destinations/sf-sandbox.yaml", "name: SF sandbox\ntype: salesforce\n"},
        {"models/users.yaml", "name: Users\nsource: wh-dev\ntype: sql\nsql: select 1\n"},
        {"syncs/users-sf.yaml",
         "name: Users to SF\nmodel: users\ndestination: sf-sandbox\nenabled: true\n"
         "schedule: { type: interval, every: 1h }\nconfig: { object: Contact, mappings: [{ from: email, to: Email }] "
         "}\n"},
        {"links.yaml",
         "sources:\n  wh-dev: { prod: wh }\ndestinations:\n  sf-sandbox: { prod: sf }\n"
         "models:\n  users: { prod: users }\nsyncs:\n  users-sf: { prod: users-sf }\n"},
    };
    std::map<std::string, std::string> prod = {
        {"workspace.yaml", kWorkspace},
        {"sources/wh.yaml", "name: WH\ntype: snowflake\n"},
        {"destinations/sf.yaml", "name: SF\ntype: salesforce\n"},
        {"models/users.yaml", "name: Users\nsource: wh\ntype: sql\nsql: select 1\n"},
        {"syncs/users-sf.yaml",
         "name: Users to SF\nmodel: users\ndestination: sf\nenabled: false\nalerts: [oncall]\n"
         "schedule: { type: cron, expression: '0 6 * * *' }\nconfig: { object: Contact, mappings: [{ from: email, to: "
         "Email }] }\n"},
    };
};

MemoryTree tree_of(const std::map<std::string, std::string>& files) {
    MemoryTree t;
    for (const auto& [path, content] : files)
        t.add(path, content);
    return t;
}

struct Compared {
    LoadedWorkspace dev, prod;
    Drift drift;
    Plan plan;  // the default deployment from dev to prod
};

Compared compare(const Org& org) {
    Compared c{load(tree_of(org.dev), "dev"), load(tree_of(org.prod), "prod"), {}, {}};
    REQUIRE_MESSAGE(!c.dev.diagnostics.has_errors(), c.dev.diagnostics.items.front().message);
    REQUIRE_MESSAGE(!c.prod.diagnostics.has_errors(), c.prod.diagnostics.items.front().message);
    PlanSide dev{c.dev.workspace, *c.dev.documents, &c.dev.diagnostics};
    PlanSide prod{c.prod.workspace, *c.prod.documents, &c.prod.diagnostics};
    c.drift = compare_workspaces(dev, prod);
    Diagnostics link_problems;
    LinkSet links = resolve_links(c.dev.workspace, c.prod.workspace, link_problems);
    PlanOptions options;
    c.plan = make_plan({dev, prod, links, options, "alice@acme.com"});
    return c;
}

std::optional<PairState> state_of(const Drift& d, Kind kind, std::string_view a_id) {
    for (const LinkedPair& p : d.pairs) {
        if (p.kind == kind && p.a_id == a_id) return p.state;
    }
    return std::nullopt;
}

// The planner and status agree: a pair is in sync exactly when the default
// deployment plans no change for it.
void agrees_with_planner(const Compared& c) {
    for (const LinkedPair& p : c.drift.pairs) {
        bool changed = std::ranges::any_of(
            c.plan.changes, [&](const Change& ch) { return ch.kind == p.kind && ch.origin_id == p.a_id; });
        CHECK_MESSAGE((p.state == PairState::differs) == changed, p.a_id);
    }
}

}  // namespace

TEST_CASE("status: draft_block") {
    auto parse = [](const char* text) { return yaml::parse(text); };
    SUBCASE("a whole block") {
        auto doc = parse("draft: { author: carol@acme.com, approval: requested, origin: dev@abc }\nname: x\n");
        REQUIRE(doc);
        DraftBlock b = draft_block(doc->root());
        CHECK(b.author == "carol@acme.com");
        CHECK(b.approval == "requested");
        CHECK(b.origin == "dev@abc");
    }
    SUBCASE("what the block lacks keeps its default") {
        auto doc = parse("draft: { created: 2026-11-20T10:00:00Z }\nname: x\n");
        REQUIRE(doc);
        DraftBlock b = draft_block(doc->root());
        CHECK(b.author.empty());
        CHECK(b.approval == "none");
    }
    SUBCASE("no block, or not a mapping") {
        auto doc = parse("- a\n- b\n");
        REQUIRE(doc);
        CHECK(draft_block(doc->root()).approval == "none");
        CHECK(draft_block(yaml::Node{}).author.empty());
    }
}

TEST_CASE("status: inventory") {
    Org org;
    org.dev["drafts/models/users.yaml"] =
        "draft: { author: carol@acme.com, approval: requested }\nname: Users\nsource: wh-dev\ntype: sql\nsql: select "
        "3\n";
    org.dev["drafts/syncs/new-sync.yaml"] =
        "draft: { author: dan@acme.com, approval: none }\nname: New\nmodel: users\ndestination: sf-sandbox\n";
    LoadedWorkspace dev = load(tree_of(org.dev), "dev");
    LoadedWorkspace prod = load(tree_of(org.prod), "prod");
    REQUIRE_FALSE(dev.diagnostics.has_errors());
    MemoryTree staging_tree;
    staging_tree.add("workspace.yaml", kWorkspace);
    LoadedWorkspace staging = load(staging_tree, "staging");

    Inventory inv = inventory(dev.workspace, *dev.documents, {&dev.workspace, &prod.workspace, &staging.workspace});
    CHECK(inv.counts == std::array<std::size_t, 5>{1, 1, 1, 1, 0});
    REQUIRE(inv.drafts.size() == 2);
    CHECK(inv.drafts[0].address == "dev:models/users");
    CHECK(inv.drafts[0].author == "carol@acme.com");
    CHECK(inv.drafts[0].approval == "requested");
    CHECK(inv.drafts[1].address == "dev:syncs/new-sync");
    CHECK(inv.drafts[1].approval == "none");
    REQUIRE(inv.links.size() == 2);  // itself skipped
    CHECK(inv.links[0].workspace == "prod");
    CHECK(inv.links[0].links == 4);
    CHECK(inv.links[1].workspace == "staging");
    CHECK(inv.links[1].links == 0);
    CHECK(inv.diagnostics.items.empty());
}

TEST_CASE("status: linked pairs in sync, what prod owns aside") {
    Org org;
    auto c = compare(org);
    REQUIRE(c.drift.pairs.size() == 2);  // sources and destinations are not deployed
    CHECK(state_of(c.drift, Kind::models, "users") == PairState::in_sync);
    // enabled, alerts and schedule differ: prod owns them.
    CHECK(state_of(c.drift, Kind::syncs, "users-sf") == PairState::in_sync);
    CHECK(c.drift.only_here.empty());
    CHECK(c.drift.stale_links == 0);
    CHECK_FALSE(c.drift.drifted());
    CHECK(c.drift.diagnostics.items.empty());
    agrees_with_planner(c);
}

TEST_CASE("status: drift") {
    Org org;
    SUBCASE("a changed field differs") {
        org.dev["models/users.yaml"] = "name: Users\nsource: wh-dev\ntype: sql\nsql: select 2\n";
        auto c = compare(org);
        CHECK(state_of(c.drift, Kind::models, "users") == PairState::differs);
        CHECK(state_of(c.drift, Kind::syncs, "users-sf") == PairState::in_sync);
        CHECK(c.drift.drifted());
        agrees_with_planner(c);
    }
    SUBCASE("a changed sync config differs") {
        org.prod["syncs/users-sf.yaml"] =
            "name: Users to SF\nmodel: users\ndestination: sf\nconfig: { object: Contact, mappings: [{ from: email, "
            "to: Mail }] }\n";
        auto c = compare(org);
        CHECK(state_of(c.drift, Kind::syncs, "users-sf") == PairState::differs);
        agrees_with_planner(c);
    }
    SUBCASE("a field only one side has differs") {
        org.prod["models/users.yaml"] = "name: Users\nsource: wh\ntype: sql\nsql: select 1\ndescription: old\n";
        auto c = compare(org);
        CHECK(state_of(c.drift, Kind::models, "users") == PairState::differs);
        agrees_with_planner(c);
    }
    SUBCASE("a model whose source is not linked cannot be in sync") {
        std::string links = org.dev["links.yaml"];
        org.dev["links.yaml"] = links.substr(links.find("destinations:"));
        org.prod["sources/wh-dev.yaml"] = "name: WH\ntype: snowflake\n";
        org.prod["models/users.yaml"] = "name: Users\nsource: wh-dev\ntype: sql\nsql: select 1\n";
        auto c = compare(org);
        CHECK(state_of(c.drift, Kind::models, "users") == PairState::differs);
    }
    SUBCASE("a counterpart that is only a draft differs") {
        org.prod.erase("models/users.yaml");
        org.prod.erase("syncs/users-sf.yaml");  // it would name a model that is not published
        org.prod["drafts/models/users.yaml"] =
            "draft: { author: alice@acme.com, approval: requested }\nname: Users\nsource: wh\ntype: sql\nsql: select "
            "1\n";
        auto c = compare(org);
        CHECK(state_of(c.drift, Kind::models, "users") == PairState::differs);
    }
    SUBCASE("a published model or sync without counterpart is only here; drafts are not") {
        org.dev["models/new.yaml"] = "name: New\nsource: wh-dev\ntype: sql\nsql: select 9\n";
        org.dev["drafts/models/idea.yaml"] =
            "draft: { author: alice@acme.com, approval: none }\nname: Idea\nsource: wh-dev\ntype: sql\nsql: select 8\n";
        org.dev["sources/other.yaml"] = "name: Other\ntype: postgres\nconfig: { host: h }\n";
        auto c = compare(org);
        CHECK(c.drift.only_here == std::vector<std::string>{"dev:models/new"});
        CHECK(c.drift.drifted());
    }
    SUBCASE("a link whose resource is gone is stale") {
        org.dev["links.yaml"] =
            "sources:\n  wh-dev: { prod: wh }\ndestinations:\n  sf-sandbox: { prod: sf }\n"
            "models:\n  users: { prod: users }\n  gone: { prod: gone }\nsyncs:\n  users-sf: { prod: users-sf }\n";
        org.prod["models/gone.yaml"] = "name: Gone\nsource: wh\ntype: sql\nsql: select 0\n";
        auto c = compare(org);
        CHECK(c.drift.stale_links == 1);
        CHECK(c.drift.pairs.size() == 2);
        CHECK(c.drift.drifted());
    }
}

TEST_CASE("status: many pairs are compared in shares, in order") {
    Org org;
    std::string links = "sources:\n  wh-dev: { prod: wh }\nmodels:\n";
    for (int i = 0; i < 1200; ++i) {
        std::string id = "m" + std::to_string(10000 + i);
        std::string sql = i % 7 == 0 ? "select 2" : "select 1";
        org.dev["models/" + id + ".yaml"] = "name: M\nsource: wh-dev\ntype: sql\nsql: " + sql + "\n";
        org.prod["models/" + id + ".yaml"] = "name: M\nsource: wh\ntype: sql\nsql: select 1\n";
        links += "  " + id + ": { prod: " + id + " }\n";
    }
    org.dev["links.yaml"] = links;
    org.dev.erase("syncs/users-sf.yaml");
    org.prod.erase("syncs/users-sf.yaml");
    auto c = compare(org);
    REQUIRE(c.drift.pairs.size() == 1200);
    for (std::size_t i = 0; i < c.drift.pairs.size(); ++i) {
        CHECK(c.drift.pairs[i].a_id == "m" + std::to_string(10000 + i));
        CHECK((c.drift.pairs[i].state == PairState::differs) == (i % 7 == 0));
    }
    CHECK(c.drift.only_here == std::vector<std::string>{"dev:models/users"});
    agrees_with_planner(c);
}
