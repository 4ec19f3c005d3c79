#include <doctest/doctest.h>

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
