// The compiled checks may only say "valid" where valijson agrees: they are
// tried on every document against every schema, and on the samples.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "ferry/schema/embedded.hpp"
#include "ferry/yaml/value.hpp"
#include "schema/compiled_schema.hpp"

using namespace ferry;
using json = nlohmann::json;

namespace {

struct Both {
    json document;
    valijson::Schema slow;
    std::unique_ptr<schema::CompiledSchema> fast;
};

const std::map<std::string, Both>& schemas() {
    static const auto all = [] {
        std::map<std::string, Both> out;
        for (const auto& e : schema::embedded_schemas()) {
            Both& b = out[std::string(e.name)];
            b.document = json::parse(e.text);
            valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
            valijson::adapters::NlohmannJsonAdapter adapter(b.document);
            parser.populateSchema(adapter, b.slow);
            b.fast = std::make_unique<schema::CompiledSchema>(b.document);
        }
        return out;
    }();
    return all;
}

bool slow_accepts(const Both& b, yaml::Node root, std::string_view skip) {
    json value = to_json(root);
    if (!skip.empty() && value.is_object()) value.erase(std::string(skip));
    valijson::adapters::NlohmannJsonAdapter adapter(value);
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    return validator.validate(b.slow, adapter, nullptr);
}

// Documents near the edges of the schemas: wrong types, missing and unknown
// fields, odd numbers, keys that are not ids, draft blocks.
const std::vector<std::string> kEdges = {
    "",
    "[]",
    "42",
    "name: A\nsource: wh\ntype: sql\nsql: select 1\n",
    "name: A\nsource: wh\ntype: sql\n",
    "name: A\nsource: Wh\ntype: sql\nsql: x\n",
    "name: ''\nsource: wh\ntype: sql\nsql: x\n",
    "name: A\nsource: wh\ntype: dbt\ndbt: { model: m }\n",
    "name: A\nsource: wh\ntype: dbt\ndbt: {}\n",
    "name: A\nsource: wh\ntype: table\ntable: 5\n",
    "name: A\nsource: wh\ntype: sql\nsql: x\ntags: [a, 1]\n",
    "name: A\nsource: wh\ntype: sql\nsql: x\nextra: 1\n",
    "name: S\nmodel: m\ndestination: d\nschedule: { type: interval, every: 15m }\n",
    "name: S\nmodel: m\ndestination: d\nschedule: { type: interval }\n",
    "name: S\nmodel: m\ndestination: d\nschedule: { type: interval, every: 0m }\n",
    "name: S\nmodel: m\ndestination: d\nschedule: { type: cron, expression: '' }\n",
    "name: S\nmodel: m\ndestination: d\nschedule: { type: dbt-cloud, job: 12 }\n",
    "name: S\nmodel: m\ndestination: d\nschedule: { type: dbt-cloud, job: 1.5 }\n",
    "name: S\nmodel: m\ndestination: d\nschedule: { type: dbt-cloud, job: 99999999999999999999999 }\n",
    "name: S\nmodel: m\ndestination: d\nschedule: { type: 5 }\n",
    "name: S\nmodel: m\ndestination: d\nschedule: { type: manual, every: 1h }\n",
    "name: S\nmodel: m\ndestination: d\nenabled: yes\n",
    "name: S\nmodel: m\ndestination: d\nenabled: true\nalerts: [oncall, Bad]\n",
    "name: S\nmodel: m\ndestination: d\nconfig: []\n",
    "name: W\ntype: snowflake\nconfig: { password: { secret: PW } }\n",
    "name: W\ntype: Snowflake\n",
    "sources:\n  wh: { prod: warehouse }\n",
    "sources:\n  Wh: { prod: warehouse }\n",
    "sources:\n  wh: { prod: Warehouse }\n",
    "sources:\n  wh: { Prod: warehouse }\n",
    "sources:\n  1: { prod: warehouse }\n",
    "audiences:\n  a: { prod: b }\n",
    "name: P\norganization: acme\nmembers:\n  a@b.c: admin\n  d@e.f: { models: draft }\n",
    "name: P\norganization: acme\nmembers:\n  a@b.c: boss\n",
    "name: P\norganization: acme\nmembers:\n  a@b.c: { models: boss }\n",
    "name: P\norganization: acme\nmembers:\n  a@b.c: 5\n",
    "name: P\norganization: acme\nalerts:\n  oncall: { type: slack }\n  Bad: { type: slack }\n",
    "name: P\norganization: acme\napprovals: { syncs: true }\nextensions: { dbt: {} }\n",
    "draft: { author: a@b.c, created: 2026-01-01T00:00:00Z, approval: requested, origin: dev@abc }\nname: A\n",
    "draft: { author: a@b.c, approval: maybe }\nname: A\n",
    "author: a@b.c\napproval: none\n",
    "author: a@b.c\napproval: requested\norigin: 5\n",
    "name: V\nmodel: m\nfilter: { a: 1 }\n",
    "name: V\nmodel: M\n",
};

std::vector<std::string> documents() {
    std::vector<std::string> out = kEdges;
    namespace fs = std::filesystem;
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(FERRY_SOURCE_DIR) / "samples" / "workspaces")) {
        if (entry.path().extension() != ".yaml") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        out.push_back(text.str());
    }
    return out;
}

}  // namespace

TEST_CASE("every built-in schema is compiled whole") {
    for (const auto& [name, b] : schemas()) {
        CAPTURE(name);
        CHECK(b.fast->complete());
    }
}

TEST_CASE("the compiled checks say valid only where valijson does") {
    std::size_t agreed_valid = 0;
    for (const std::string& text : documents()) {
        auto doc = yaml::parse(text);
        if (!doc) continue;
        for (const auto& [name, b] : schemas()) {
            for (std::string_view skip : {std::string_view{}, std::string_view{"draft"}}) {
                CAPTURE(name);
                CAPTURE(text);
                bool slow = slow_accepts(b, doc->root(), skip);
                bool fast = b.fast->accepts(doc->root(), skip);
                if (fast) CHECK(slow);
                agreed_valid += fast && slow;
            }
        }
    }
    // And they do say it: otherwise nothing is gained.
    CHECK(agreed_valid >= 25);
}

TEST_CASE("the compiled checks accept every sample file under its kind's schema") {
    namespace fs = std::filesystem;
    const std::map<std::string, std::string> schema_of = {{"sources", "source.schema.json"},
                                                          {"destinations", "destination.schema.json"},
                                                          {"models", "model.schema.json"},
                                                          {"syncs", "sync.schema.json"},
                                                          {"audiences", "audience.schema.json"}};
    std::size_t checked = 0;
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(FERRY_SOURCE_DIR) / "samples" / "workspaces")) {
        std::string folder = entry.path().parent_path().filename().string();
        std::string file = entry.path().filename().string();
        std::string schema =
            file == "workspace.yaml" ? "workspace.schema.json"
            : file == "links.yaml"   ? "links.schema.json"
            : schema_of.contains(folder) && entry.path().parent_path().parent_path().filename() != "drafts"
                ? schema_of.at(folder)
                : "";
        if (schema.empty()) continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        auto doc = yaml::parse(text.str());
        REQUIRE(doc);
        CAPTURE(entry.path().string());
        CHECK(schemas().at(schema).fast->accepts(doc->root()));
        ++checked;
    }
    CHECK(checked > 10);
}
