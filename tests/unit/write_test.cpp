#include <doctest/doctest.h>
#include <algorithm>

#include "ferry/write/files.hpp"
#include "ferry/yaml/value.hpp"
#include "fixtures.hpp"

using namespace ferry;

TEST_CASE("links_yaml: canonical order and style") {
    std::vector<LinkEntry> entries = {
        {Kind::models, "users", "prod", "users", {}},
        {Kind::sources, "wh", "staging", "wh-stg", {}},
        {Kind::sources, "wh", "prod", "warehouse", {}},
        {Kind::sources, "123", "prod", "true", {}},
    };
    CHECK(links_yaml(entries) == schema_comment("links.schema.json") +
                                     "sources:\n"
                                     "  \"123\": { prod: \"true\" }\n"
                                     "  wh: { prod: warehouse, staging: wh-stg }\n"
                                     "models:\n"
                                     "  users: { prod: users }\n");
    CHECK(links_yaml({}).empty());
}

TEST_CASE("links_yaml: reads back as the same links") {
    std::vector<LinkEntry> entries = {{Kind::sources, "123", "prod", "null", {}}, {Kind::syncs, "s", "dev", "s2", {}}};
    MemoryTree tree = test::valid_tree();
    tree.add("links.yaml", links_yaml(entries));
    auto loaded = test::load(tree);
    CHECK_FALSE(loaded.diagnostics.has_errors());
    REQUIRE(loaded.workspace.links.size() == 2);
    CHECK(loaded.workspace.links[0].local_id == "123");
    CHECK(loaded.workspace.links[0].other_id == "null");
}

TEST_CASE("resource_yaml: canonical order, and every value reads back the same") {
    nlohmann::json sync = {
        {"config", {{"mappings", {{{"to", "Email"}, {"from", "email"}}}}, {"object", "Contact"}, {"zeta", nullptr}}},
        {"name", "Users"},
        {"model", "users"},
        {"destination", "sf"},
        {"enabled", false},
        {"schedule", {{"every", "1h"}, {"type", "interval"}}},
        {"alerts", nlohmann::json::array()},
        {"draft", {{"origin", "dev@abc"}, {"author", "a@b.c"}, {"approval", "requested"}}},
    };
    std::string text = resource_yaml(Kind::syncs, sync);
    CHECK(text == schema_comment("draft-sync.schema.json") +
                      "draft:\n  author: a@b.c\n  approval: requested\n  origin: dev@abc\n"
                      "name: Users\nmodel: users\ndestination: sf\nenabled: false\n"
                      "schedule:\n  type: interval\n  every: 1h\n"
                      "alerts: []\n"
                      "config:\n  mappings:\n    - from: email\n      to: Email\n  object: Contact\n  zeta: null\n");

    for (std::string tricky : std::vector<std::string>{
             "select 1\nfrom t\n", "no final newline\nx", "two\n\n", "\n", "  leading\nx\n", "true", "123", "~", "",
             "a: b", "- x", "#not a comment", "'quoted'", "tab\there", "caf\u00e9", "trailing space \nx\n", "x\r\ny",
             // Line breaks a YAML reader knows besides \n, alone and in lines,
             // a DEL and a NUL (a "\0" escape in a document): never written raw.
             "a\rb", "a\rb\nc\n", "a\u0085b", "a\u0085b\nc\n", "a\u2028b", "a\u2028b\nc\n", "a\u2029b", "a\u2029b\nc\n",
             "a\x7f"
             "b",
             "a\x7f"
             "b\nc\n",
             std::string("a\0b", 3), std::string("a\nb\0c\nd\n", 9), std::string("\0", 1)}) {
        nlohmann::json model = {{"name", tricky}, {"sql", tricky}, {"tags", {tricky, 1, 2.5, true}}};
        std::string out = resource_yaml(Kind::models, model);
        auto doc = yaml::parse(out);
        REQUIRE_MESSAGE(doc.has_value(), out);
        CHECK_MESSAGE(to_json(doc->root()) == model, out);
    }
}

TEST_CASE("schema_comment: the yaml-language-server line, relative to the file, into .ferry/schemas/") {
    // A resource is one folder down, a draft two, links.yaml and workspace.yaml at the top.
    CHECK(schema_comment("model.schema.json") ==
          "# yaml-language-server: $schema=../.ferry/schemas/model.schema.json\n");
    CHECK(schema_comment("draft-sync.schema.json") ==
          "# yaml-language-server: $schema=../../.ferry/schemas/draft-sync.schema.json\n");
    CHECK(schema_comment("links.schema.json") == "# yaml-language-server: $schema=.ferry/schemas/links.schema.json\n");
    CHECK(schema_comment("workspace.schema.json") ==
          "# yaml-language-server: $schema=.ferry/schemas/workspace.schema.json\n");
    // Every schema a written file names is among those `ferry init` writes.
    std::vector<std::string> written;
    for (const auto& [path, text] : editor_schema_files()) {
        CHECK(path.starts_with(".ferry/schemas/"));
        CHECK_FALSE(text.empty());
        written.push_back(path.substr(std::string_view(".ferry/schemas/").size()));
    }
    for (Kind kind : kAllKinds) {
        CHECK(std::ranges::find(written, schema_file(kind, false)) != written.end());
    }
    for (const char* name :
         {"draft-model.schema.json", "draft-sync.schema.json", "links.schema.json", "workspace.schema.json"}) {
        CHECK(std::ranges::find(written, name) != written.end());
    }
    CHECK(schema_file(Kind::sources, false) == "source.schema.json");
    CHECK(schema_file(Kind::destinations, false) == "destination.schema.json");
    CHECK(schema_file(Kind::models, true) == "draft-model.schema.json");
    CHECK(schema_file(Kind::syncs, true) == "draft-sync.schema.json");
    CHECK(schema_file(Kind::audiences, false) == "audience.schema.json");
}

TEST_CASE("resource_yaml: a published file names its kind's schema, a draft the draft schema") {
    nlohmann::json model = {{"name", "Users"}, {"source", "wh"}, {"type", "sql"}, {"sql", "select 1"}};
    CHECK(resource_yaml(Kind::models, model) ==
          schema_comment("model.schema.json") + "name: Users\nsource: wh\ntype: sql\nsql: select 1\n");
    model["draft"] = {{"author", "a@b.c"}, {"approval", "requested"}};
    std::string draft = resource_yaml(Kind::models, model);
    CHECK(draft.starts_with(schema_comment("draft-model.schema.json") + "draft:\n"));
    // A source has no drafts: whatever it holds, its own schema.
    CHECK(resource_yaml(Kind::sources, {{"name", "W"}, {"type", "snowflake"}})
              .starts_with(schema_comment("source.schema.json")));
}

TEST_CASE("workspace_yaml: what ferry init writes loads as a valid workspace") {
    nlohmann::json ws = {{"organization", "acme"}, {"members", {{"alice@acme.com", "admin"}}}, {"name", "dev"}};
    std::string text = workspace_yaml(ws);
    CHECK(text == schema_comment("workspace.schema.json") +
                      "name: dev\norganization: acme\nmembers:\n  alice@acme.com: admin\n");
    // Odd names and emails stay strings.
    for (std::string who : {"*weird@acme.com", "o'brien@acme.com", "true", "# x@y"}) {
        nlohmann::json odd = {{"name", "123"}, {"organization", "yes"}, {"members", {{who, "admin"}}}};
        MemoryTree tree;
        tree.add("workspace.yaml", workspace_yaml(odd));
        auto loaded = test::load(tree);
        CHECK_MESSAGE(!loaded.diagnostics.has_errors(), workspace_yaml(odd));
        CHECK(loaded.workspace.organization == "yes");
        auto doc = yaml::parse(workspace_yaml(odd));
        REQUIRE(doc.has_value());
        CHECK(to_json(doc->root()) == odd);
    }
}

TEST_CASE("a scaffolded tree: .gitkeep files in the kind folders are ignored") {
    MemoryTree tree;
    tree.add("workspace.yaml", workspace_yaml({{"organization", "acme"}, {"members", {{"a@acme.com", "admin"}}}}));
    for (Kind kind : kAllKinds)
        tree.add(std::string(kind_name(kind)) + "/.gitkeep", "");
    auto loaded = test::load(tree);
    CHECK(loaded.diagnostics.items.empty());
    for (const auto& resources : loaded.workspace.resources)
        CHECK(resources.empty());
}
