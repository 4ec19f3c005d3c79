#include <doctest/doctest.h>

#include "ferry/model/linking.hpp"
#include "ferry/model/links.hpp"
#include "fixtures.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {
Workspace with_links(std::string name, std::string links) {
    auto tree = valid_tree();
    tree.add("sources/wh2.yaml", "name: W2\ntype: snowflake\n");
    tree.add("links.yaml", std::move(links));
    auto loaded = load(tree, std::move(name));
    REQUIRE(loaded.diagnostics.items.empty());
    return std::move(loaded.workspace);
}
}  // namespace

TEST_CASE("resolve_links: the union of both files") {
    Workspace dev = with_links("dev", "sources:\n  wh: { prod: wh }\n");
    Workspace prod = with_links("prod", "destinations:\n  sf: { dev: sf }\n");
    Diagnostics d;
    LinkSet links = resolve_links(dev, prod, d);
    CHECK(d.items.empty());
    REQUIRE(links.in_b(Kind::sources, "wh"));
    CHECK(*links.in_b(Kind::sources, "wh") == "wh");
    REQUIRE(links.in_a(Kind::destinations, "sf"));
    CHECK(links.all().size() == 2);
}

TEST_CASE("resolve_links: both sides saying the same is one link") {
    Workspace dev = with_links("dev", "sources:\n  wh: { prod: wh2 }\n");
    Workspace prod = with_links("prod", "sources:\n  wh2: { dev: wh }\n");
    Diagnostics d;
    CHECK(resolve_links(dev, prod, d).all().size() == 1);
    CHECK(d.items.empty());
}

TEST_CASE("resolve_links: link-conflict") {
    SUBCASE("the two sides disagree") {
        Workspace dev = with_links("dev", "sources:\n  wh: { prod: wh }\n");
        Workspace prod = with_links("prod", "sources:\n  wh: { dev: wh2 }\n");
        Diagnostics d;
        resolve_links(dev, prod, d);
        REQUIRE(find_code(d, code::link_conflict));
        CHECK(find_code(d, code::link_conflict)->location.file == "links.yaml");
    }
    SUBCASE("not one-to-one") {
        Workspace dev = with_links("dev", "sources:\n  wh: { prod: wh }\n  wh2: { prod: wh }\n");
        Workspace prod = with_links("prod", "");
        Diagnostics d;
        resolve_links(dev, prod, d);
        CHECK(find_code(d, code::link_conflict));
    }
}

TEST_CASE("resolve_links: stale links are warned about and ignored") {
    Workspace dev = with_links("dev", "sources:\n  wh: { prod: gone }\n");
    Workspace prod = with_links("prod", "sources:\n  gone: { dev: wh }\n");
    Diagnostics d;
    LinkSet links = resolve_links(dev, prod, d);
    CHECK(links.all().empty());
    int stale = 0;
    for (const auto& item : d.items)
        stale += item.code == code::stale_link;
    CHECK(stale == 1);
    CHECK_FALSE(d.has_errors());
}

TEST_CASE("resolve_links: a stale statement does not contradict a live link") {
    // dev relinked wh to wh2 after prod's `gone` was deleted; prod's file
    // still says gone -> wh.
    Workspace dev = with_links("dev", "sources:\n  wh: { prod: wh2 }\n");
    Workspace prod = with_links("prod", "sources:\n  gone: { dev: wh }\n  wh2: { dev: wh }\n");
    Diagnostics d;
    LinkSet links = resolve_links(dev, prod, d);
    CHECK_FALSE(d.has_errors());
    CHECK(find_code(d, code::stale_link));
    REQUIRE(links.in_b(Kind::sources, "wh"));
    CHECK(*links.in_b(Kind::sources, "wh") == "wh2");
}

TEST_CASE("with_links in one pass writes what with_link would, one link at a time") {
    std::vector<LinkEntry> links = {
        {Kind::models, "a", "dev", "a-dev", {}},   // replaced: its local id is linked anew
        {Kind::models, "b", "dev", "x-dev", {}},   // replaced: its other id is linked anew
        {Kind::models, "c", "staging", "a", {}},   // another workspace: kept
        {Kind::sources, "a", "dev", "a-dev", {}},  // another kind: kept
        {Kind::models, "d", "dev", "d-dev", {}},   // kept
    };
    std::vector<NewLink> added = {{Kind::models, "a", "a2-dev"}, {Kind::models, "e", "x-dev"}};
    std::vector<LinkEntry> one_by_one = links;
    for (const NewLink& l : added)
        one_by_one = with_link(one_by_one, l.kind, l.local_id, "dev", l.other_id);
    std::vector<LinkEntry> batch = with_links(links, "dev", added);
    auto text = [](const std::vector<LinkEntry>& v) {
        std::string out;
        for (const LinkEntry& e : v)
            out += std::string(kind_name(e.kind)) + ":" + e.local_id + ">" + e.other_workspace + ":" + e.other_id + " ";
        return out;
    };
    CHECK(text(batch) == text(one_by_one));
    CHECK(text(batch) ==
          "models:c>staging:a sources:a>dev:a-dev models:d>dev:d-dev models:a>dev:a2-dev models:e>dev:x-dev ");
}
