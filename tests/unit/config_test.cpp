#include <doctest/doctest.h>

#include <cstdlib>

#include "ferry/config/config.hpp"

using namespace ferry;

TEST_CASE("is_repository_url: git's rule") {
    SUBCASE("URLs") {
        CHECK(is_repository_url("https://github.com/acme/dev.git"));
        CHECK(is_repository_url("ssh://git@github.com/acme/dev.git"));
        CHECK(is_repository_url("file:///srv/git/dev.git"));
        CHECK(is_repository_url("git+ssh://host/dev"));
        CHECK(is_repository_url("git@github.com:acme/dev.git"));
        CHECK(is_repository_url("host:dev.git"));
    }
    SUBCASE("folders") {
        CHECK_FALSE(is_repository_url("acme-dev"));
        CHECK_FALSE(is_repository_url("../acme-dev"));
        CHECK_FALSE(is_repository_url("/srv/git/dev.git"));
        CHECK_FALSE(is_repository_url("./a:b"));
        CHECK_FALSE(is_repository_url("dir/a:b"));
        CHECK_FALSE(is_repository_url(":dev"));
        CHECK_FALSE(is_repository_url("dir/x://y"));
    }
}

TEST_CASE("repository_cache: one readable folder per URL, under FERRY_REPO_CACHE") {
    ::setenv("FERRY_REPO_CACHE", "/tmp/ferry-cache-test", 1);
    auto a = repository_cache("https://user:secret@github.com/acme/dev.git");
    auto b = repository_cache("https://github.com/acme/dev.git");
    auto c = repository_cache("git@github.com:acme/dev.git");
    auto again = repository_cache("https://github.com/acme/dev.git");
    ::unsetenv("FERRY_REPO_CACHE");
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(c);
    CHECK(a->parent_path() == "/tmp/ferry-cache-test");
    CHECK(b->filename().string().starts_with("github.com-acme-dev.git-"));
    CHECK(c->filename().string().starts_with("github.com-acme-dev.git-"));
    CHECK(a->filename().string().find("secret") == std::string::npos);
    CHECK(*a != *b);
    CHECK(*b != *c);
    CHECK(again == b);
}
