#include <doctest/doctest.h>

#include "ferry/load/organization.hpp"
#include "ferry/model/workspace.hpp"

using namespace ferry;

TEST_CASE("is_valid_id") {
    CHECK(is_valid_id("active-users"));
    CHECK(is_valid_id("a"));
    CHECK(is_valid_id("0_x-9"));
    CHECK(is_valid_id(std::string(64, 'a')));
    CHECK_FALSE(is_valid_id(std::string(65, 'a')));
    CHECK_FALSE(is_valid_id(""));
    CHECK_FALSE(is_valid_id("-x"));
    CHECK_FALSE(is_valid_id("_x"));
    CHECK_FALSE(is_valid_id("Users"));
    CHECK_FALSE(is_valid_id("a.b"));
    CHECK_FALSE(is_valid_id(".."));
    CHECK_FALSE(is_valid_id("a/b"));
}

TEST_CASE("parse_address") {
    auto a = parse_address("prod:models/active-users");
    REQUIRE(a);
    CHECK(a->workspace == "prod");
    CHECK(a->kind == Kind::models);
    CHECK(a->id == "active-users");
    CHECK(a->ref.empty());
    CHECK(a->str() == "prod:models/active-users");

    auto b = parse_address("dev@refs/pull/7/head:syncs/x");
    REQUIRE(b);
    CHECK(b->workspace == "dev");
    CHECK(b->ref == "refs/pull/7/head");
    CHECK(b->kind == Kind::syncs);

    CHECK_FALSE(parse_address("prod"));
    CHECK_FALSE(parse_address("prod:widgets/x"));
    CHECK_FALSE(parse_address("prod:models/"));
    CHECK_FALSE(parse_address(":models/x"));
    CHECK_FALSE(parse_address("dev@:models/x"));
    CHECK_FALSE(parse_address("dev:models/a/b"));
    CHECK_FALSE(parse_address("dev:models/.."));
    CHECK_FALSE(parse_address("dev:models/Upper"));
    CHECK_FALSE(parse_address("Dev:models/x"));
}

TEST_CASE("parse_workspace_request") {
    auto r = parse_workspace_request("dev@feature-x");
    CHECK(r.name == "dev");
    CHECK(r.ref == "feature-x");
    CHECK(parse_workspace_request("prod").ref.empty());
}
