#include <doctest/doctest.h>

#include "ferry/schema/schema.hpp"
#include "ferry/util/did_you_mean.hpp"

using namespace ferry;

namespace {
Diagnostics check(std::string_view schema, std::string_view text) {
    auto doc = yaml::parse(text);
    REQUIRE(doc.has_value());
    Diagnostics out;
    SchemaSet::builtin().check(schema, doc->root(), "models/x.yaml", "dev:models/x", out);
    return out;
}
}  // namespace

TEST_CASE("did_you_mean") {
    std::vector<std::string> fields = {"name", "source", "type", "primary_key", "description"};
    CHECK(did_you_mean("prmary_key", fields) == "primary_key");
    CHECK(did_you_mean("sorce", fields) == "source");
    CHECK(did_you_mean("Name", fields) == "name");
    CHECK(did_you_mean("completely_unrelated", fields).empty());
}

TEST_CASE("SchemaSet::check accepts valid resources") {
    CHECK(check("model.schema.json", "name: A\nsource: wh\ntype: sql\nsql: select 1\ntags: [x]\n").items.empty());
    CHECK(check("sync.schema.json",
                "name: S\nmodel: a\ndestination: d\nenabled: true\nschedule: { type: interval, every: 15m }\n"
                "alerts: [oncall]\nconfig: { mappings: [{ from: a, to: b }] }\n")
              .items.empty());
    CHECK(
        check("source.schema.json", "name: W\ntype: snowflake\nconfig: { password: { secret: PW } }\n").items.empty());
    CHECK(check("links.schema.json", "sources:\n  wh: { prod: warehouse }\n").items.empty());
    CHECK(check("links.schema.json", "").items.empty());
}

TEST_CASE("SchemaSet::check locates each problem") {
    SUBCASE("missing field, at the mapping") {
        auto d = check("model.schema.json", "name: A\ntype: sql\nsql: x\n");
        REQUIRE(d.items.size() == 1);
        CHECK(d.items[0].code == code::schema);
        CHECK(d.items[0].message.find("'source'") != std::string::npos);
        CHECK(d.items[0].location.line == 1);
        CHECK(d.items[0].address == "dev:models/x");
    }
    SUBCASE("unknown field, at its key, with a hint") {
        auto d = check("model.schema.json", "name: A\nsource: wh\ntype: sql\nsql: x\nprimary_kee: id\n");
        REQUIRE(d.items.size() == 1);
        CHECK(d.items[0].message.find("unknown field 'primary_kee'") != std::string::npos);
        CHECK(d.items[0].location.line == 5);
        CHECK(d.items[0].location.column == 1);
        CHECK(d.items[0].hint == "did you mean 'primary_key'?");
    }
    SUBCASE("per-type requirements") {
        auto d = check("model.schema.json", "name: A\nsource: wh\ntype: dbt\n");
        REQUIRE(d.items.size() == 1);
        CHECK(d.items[0].message.find("'dbt'") != std::string::npos);
    }
    SUBCASE("wrong type, at the value") {
        auto d = check("sync.schema.json", "name: S\nmodel: a\ndestination: d\nenabled: 'yes'\n");
        REQUIRE(d.items.size() == 1);
        CHECK(d.items[0].message.find("'enabled' must be a boolean") != std::string::npos);
        CHECK(d.items[0].location.line == 4);
        CHECK(d.items[0].location.column == 10);
    }
    SUBCASE("nested unknown field") {
        auto d =
            check("sync.schema.json", "name: S\nmodel: a\ndestination: d\nschedule:\n  type: cron\n  expresion: x\n");
        bool found = false;
        for (const auto& item : d.items) {
            if (item.message.find("unknown field 'expresion'") != std::string::npos) {
                found = true;
                CHECK(item.location.line == 6);
                CHECK(item.hint == "did you mean 'expression'?");
            }
        }
        CHECK(found);
    }
    SUBCASE("enum") {
        auto d = check("model.schema.json", "name: A\nsource: wh\ntype: view\n");
        REQUIRE(d.items.size() == 1);
        CHECK(d.items[0].message.find("one of: sql, table, dbt") != std::string::npos);
    }
    SUBCASE("an id that is not one") {
        auto d = check("model.schema.json", "name: A\nsource: Warehouse\ntype: table\ntable: t\n");
        REQUIRE(d.items.size() == 1);
        CHECK(d.items[0].message.find("'source' must be an id") != std::string::npos);
    }
    SUBCASE("a document that is not a mapping") {
        auto d = check("model.schema.json", "- a\n- b\n");
        REQUIRE(d.items.size() == 1);
        CHECK(d.items[0].message.find("must be a mapping") != std::string::npos);
    }
}
