#include <doctest/doctest.h>

#include "ferry/value.hpp"
#include "ferry/write.hpp"
#include "fixtures.hpp"

using namespace ferry;

TEST_CASE("render_links_file: canonical order and style") {
    std::vector<LinkEntry> entries = {
        {Kind::models, "users", "prod", "users", {}},
        {Kind::sources, "wh", "staging", "wh-stg", {}},
        {Kind::sources, "wh", "prod", "warehouse", {}},
        {Kind::sources, "123", "prod", "true", {}},
    };
    CHECK(render_links_file(entries) ==
          "sources:\n"
          "  \"123\": { prod: \"true\" }\n"
          "  wh: { prod: warehouse, staging: wh-stg }\n"
          "models:\n"
          "  users: { prod: users }\n");
    CHECK(render_links_file({}).empty());
}

TEST_CASE("render_links_file: reads back as the same links") {
    std::vector<LinkEntry> entries = {{Kind::sources, "123", "prod", "null", {}}, {Kind::syncs, "s", "dev", "s2", {}}};
    MemoryTree tree = test::valid_tree();
    tree.add("links.yaml", render_links_file(entries));
    auto loaded = test::load(tree);
    CHECK_FALSE(loaded.diagnostics.has_errors());
    REQUIRE(loaded.workspace.links.size() == 2);
    CHECK(loaded.workspace.links[0].local_id == "123");
    CHECK(loaded.workspace.links[0].other_id == "null");
}

TEST_CASE("render_resource: canonical order, and every value reads back the same") {
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
    std::string text = render_resource(Kind::syncs, sync);
    CHECK(text ==
          "draft:\n  author: a@b.c\n  approval: requested\n  origin: dev@abc\n"
          "name: Users\nmodel: users\ndestination: sf\nenabled: false\n"
          "schedule:\n  type: interval\n  every: 1h\n"
          "alerts: []\n"
          "config:\n  mappings:\n    - from: email\n      to: Email\n  object: Contact\n  zeta: null\n");

    for (std::string tricky :
         {"select 1\nfrom t\n", "no final newline\nx", "two\n\n", "\n", "  leading\nx\n", "true", "123", "~", "",
          "a: b", "- x", "#not a comment", "'quoted'", "tab\there", "caf\u00e9", "trailing space \nx\n", "x\r\ny"}) {
        nlohmann::json model = {{"name", tricky}, {"sql", tricky}, {"tags", {tricky, 1, 2.5, true}}};
        std::string out = render_resource(Kind::models, model);
        auto doc = yaml::parse(out);
        REQUIRE_MESSAGE(doc.has_value(), out);
        CHECK_MESSAGE(to_json(doc->root()) == model, out);
    }
}
