#include <doctest/doctest.h>

#include "ferry/schema/connectors.hpp"
#include "fixtures.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

Diagnostics check(const ConnectorSchemas& schemas, Kind kind, std::string_view type, std::string_view config) {
    auto doc = yaml::parse(config);
    REQUIRE(doc);
    Diagnostics out;
    schemas.check(kind, type, doc->root(), "f.yaml", "dev:x/y", out);
    return out;
}

}  // namespace

TEST_CASE("ConnectorSchemas::builtin: every type SPEC 2.7 lists") {
    const auto& schemas = ConnectorSchemas::builtin();
    for (const char* type : {"snowflake", "bigquery", "redshift", "databricks", "postgres", "mysql"})
        CHECK(schemas.knows(Kind::sources, type));
    for (const char* type : {"salesforce", "hubspot", "braze", "iterable", "google-ads", "facebook-audiences",
                             "marketo", "zendesk", "intercom", "slack", "webhook"}) {
        CHECK(schemas.knows(Kind::destinations, type));
        CHECK(schemas.knows(Kind::syncs, type));
    }
    CHECK_FALSE(schemas.knows(Kind::sources, "salesforce"));
    CHECK_FALSE(schemas.knows(Kind::destinations, "segment"));
    CHECK(schemas.digest().empty());
}

TEST_CASE("ConnectorSchemas::check: a connection's unknown key is an error only when close to a known one") {
    const auto& schemas = ConnectorSchemas::builtin();
    SUBCASE("close: did you mean") {
        auto found = check(schemas, Kind::sources, "snowflake", "account: a\nwarehose: WH\n");
        REQUIRE(found.items.size() == 1);
        CHECK(found.items[0].code == code::schema);
        CHECK(found.items[0].message == "config: unknown field 'warehose'");
        CHECK(found.items[0].hint == "did you mean 'warehouse'?");
        CHECK(found.items[0].location.line == 2);
        CHECK(found.items[0].location.column == 1);
    }
    SUBCASE("far: kept") {
        CHECK(
            check(schemas, Kind::sources, "snowflake", "account: a\nclient_session_keep_alive: true\n").items.empty());
    }
    SUBCASE("required and typed") {
        auto found = check(schemas, Kind::destinations, "hubspot", "portal: acme\n");
        REQUIRE(found.items.size() == 1);
        CHECK(found.items[0].message.find("'config.portal' must be an integer") != std::string::npos);
        CHECK(check(schemas, Kind::sources, "postgres", "port: 5432\n").items.at(0).message ==
              "config: missing required field 'host'");
    }
    SUBCASE("a type with no schema is free-form") {
        CHECK(check(schemas, Kind::destinations, "segment", "anything: 1\n").items.empty());
    }
}

TEST_CASE("ConnectorSchemas::check: a sync's keys are a closed set") {
    const auto& schemas = ConnectorSchemas::builtin();
    auto found = check(schemas, Kind::syncs, "salesforce", "object: Contact\nmapings: []\n");
    REQUIRE(found.items.size() == 1);
    CHECK(found.items[0].message == "config: unknown field 'mapings'");
    CHECK(found.items[0].hint == "did you mean 'mappings'?");
    CHECK(check(schemas, Kind::syncs, "hubspot",
                "object: contacts\nmode: upsert\nmappings: [{ from: a, to: b }]\nexternal_id: email\n")
              .items.empty());
    CHECK_FALSE(check(schemas, Kind::syncs, "hubspot", "object: contacts\nmode: delete\n").items.empty());
    CHECK_FALSE(check(schemas, Kind::syncs, "hubspot", "mode: upsert\n").items.empty());  // object is required
}

TEST_CASE("ConnectorSchemas::with: an organization's schemas add and replace") {
    auto schemas = ConnectorSchemas::with({
        {Kind::destinations, "segment", "connectors/destinations/segment.schema.json",
         R"({"type": "object", "required": ["write_key"], "properties": {"write_key": {}}})"},
        {Kind::sources, "snowflake", "connectors/sources/snowflake.schema.json", R"({"type": "object"})"},
    });
    REQUIRE(schemas);
    CHECK((*schemas)->knows(Kind::destinations, "segment"));
    CHECK_FALSE((*schemas)->digest().empty());
    CHECK(check(**schemas, Kind::sources, "snowflake", "warehouse: WH\n").items.empty());  // no account needed now
    CHECK(check(**schemas, Kind::destinations, "segment", "write_ky: x\n").items.size() == 2);
    CHECK(check(**schemas, Kind::destinations, "hubspot", "portal: x\n").items.size() == 1);  // built-in kept

    auto bad = ConnectorSchemas::with({{Kind::syncs, "segment", "connectors/syncs/segment.schema.json", "{ nope"}});
    REQUIRE_FALSE(bad);
    REQUIRE(bad.error().items.size() == 1);
    CHECK(bad.error().items[0].code == code::config);
    CHECK(bad.error().items[0].location.file == "connectors/syncs/segment.schema.json");
}

TEST_CASE("load_workspace: a sync's config is checked against its destination's type") {
    auto tree = valid_tree();
    tree.add("syncs/users-sf.yaml",
             "name: S\nmodel: users\ndestination: sf\nconfig: { object: Contact, mapings: [] }\n");
    SUBCASE("salesforce: closed keys") {
        auto loaded = load(tree);
        auto d = find_code(loaded.diagnostics, code::schema);
        REQUIRE(d);
        CHECK(d->location.file == "syncs/users-sf.yaml");
        CHECK(d->hint == "did you mean 'mappings'?");
    }
    SUBCASE("a type with no schema: free-form") {
        tree.add("destinations/sf.yaml", "name: SF\ntype: custom-crm\n");
        auto loaded = load(tree);
        CHECK(loaded.diagnostics.items.empty());
        CHECK(loaded.workspace.find(Kind::syncs, "users-sf")->facts.connector_type.empty());
    }
    SUBCASE("a draft sync too") {
        tree.add("syncs/users-sf.yaml", "name: S\nmodel: users\ndestination: sf\nconfig: { object: Contact }\n");
        tree.add("drafts/syncs/users-sf.yaml",
                 "draft: { author: a@acme.com, created: 2026-01-01T00:00:00Z, approval: none }\n"
                 "name: S\nmodel: users\ndestination: sf\nconfig: { object: Contact, mode: delete }\n");
        auto loaded = load(tree);
        auto d = find_code(loaded.diagnostics, code::schema);
        REQUIRE(d);
        CHECK(d->location.file == "drafts/syncs/users-sf.yaml");
        CHECK(loaded.workspace.find(Kind::syncs, "users-sf")->facts.connector_type == "salesforce");
    }
}

TEST_CASE("check_connector_types: one warning per type with no schema") {
    auto tree = valid_tree();
    tree.add("destinations/cdp.yaml", "name: CDP\ntype: segment\n");
    tree.add("destinations/cdp-eu.yaml", "name: CDP EU\ntype: segment\n");
    tree.add("sources/lake.yaml", "name: Lake\ntype: duckdb\n");
    auto loaded = load(tree);
    CHECK(loaded.diagnostics.items.empty());
    Diagnostics out;
    check_connector_types(loaded, ConnectorSchemas::builtin(), out);
    REQUIRE(out.items.size() == 2);
    for (const auto& d : out.items) {
        CHECK(d.code == code::unknown_connector_type);
        CHECK(d.severity == Severity::warning);
    }
    CHECK(out.items[0].message.find("'duckdb'") != std::string::npos);
    CHECK(out.items[1].message.find("dev:destinations/cdp, dev:destinations/cdp-eu") != std::string::npos);
    CHECK(out.items[1].location.file == "destinations/cdp.yaml");
    CHECK(out.items[1].location.line == 2);
}
