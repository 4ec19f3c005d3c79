#include <doctest/doctest.h>

#include "ferry/model/permissions.hpp"
#include "fixtures.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {
Workspace with_members(std::string members) {
    auto tree = valid_tree();
    tree.add("workspace.yaml", "organization: acme\nalerts: { oncall: { type: slack } }\n" + members);
    auto loaded = load(tree);
    return std::move(loaded.workspace);
}
}  // namespace

TEST_CASE("level_of: roles") {
    Workspace ws = with_members(
        "members:\n  alice@acme.com: admin\n  bob@acme.com: editor\n  erin@acme.com: drafter\n  dave@acme.com: "
        "viewer\n");
    for (Kind k : kAllKinds) {
        CHECK(level_of(ws, "alice@acme.com", k) == Level::edit);
        CHECK(level_of(ws, "bob@acme.com", k) == Level::edit);
        CHECK(level_of(ws, "erin@acme.com", k) == Level::draft);
        CHECK(level_of(ws, "dave@acme.com", k) == Level::view);
        CHECK(level_of(ws, "mallory@evil.com", k) == Level::none);
    }
    CHECK(is_admin(ws, "alice@acme.com"));
    CHECK(is_admin(ws, "Alice@ACME.com"));
    CHECK_FALSE(is_admin(ws, "bob@acme.com"));
}

TEST_CASE("level_of: an unknown role grants nothing (and is a schema error)") {
    auto tree = valid_tree();
    tree.add("workspace.yaml", "organization: acme\nmembers:\n  eve@acme.com: superuser\n  \"*\": owner\n");
    auto loaded = load(tree);
    CHECK(loaded.diagnostics.has_errors());
    for (Kind k : kAllKinds) {
        CHECK(level_of(loaded.workspace, "eve@acme.com", k) == Level::none);
        CHECK(level_of(loaded.workspace, "anyone@acme.com", k) == Level::none);
    }
    CHECK_FALSE(is_admin(loaded.workspace, "eve@acme.com"));
}

TEST_CASE("level_of: per-kind levels") {
    Workspace ws = with_members("members:\n  carol@acme.com: { models: draft, syncs: edit }\n");
    CHECK(level_of(ws, "carol@acme.com", Kind::models) == Level::draft);
    CHECK(level_of(ws, "carol@acme.com", Kind::syncs) == Level::edit);
    CHECK(level_of(ws, "carol@acme.com", Kind::sources) == Level::none);
    CHECK_FALSE(is_admin(ws, "carol@acme.com"));
}

TEST_CASE("level_of: the \"*\" entry covers everyone not listed") {
    Workspace ws = with_members("members:\n  \"*\": viewer\n  carol@acme.com: { models: edit }\n");
    CHECK(level_of(ws, "anyone@acme.com", Kind::syncs) == Level::view);
    // A listed member gets their own entry, not the "*" one.
    CHECK(level_of(ws, "carol@acme.com", Kind::syncs) == Level::none);
}

TEST_CASE("level_of: no members grants nothing") {
    Workspace ws = with_members("");
    CHECK(level_of(ws, "alice@acme.com", Kind::models) == Level::none);
    CHECK(level_of(ws, "", Kind::models) == Level::none);
    CHECK_FALSE(is_admin(ws, "alice@acme.com"));
}
