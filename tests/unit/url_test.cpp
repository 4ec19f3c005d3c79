// A repository URL's credentials never show (SECURITY.md).
#include <doctest/doctest.h>

#include "ferry/util/url.hpp"

using namespace ferry;

TEST_CASE("shown_url: a password is dropped, a lone http(s) user is a token") {
    CHECK(shown_url("https://github.com/acme/dev.git") == "https://github.com/acme/dev.git");
    CHECK(shown_url("http://ferry:hunter2@127.0.0.1:9/prod.git") == "http://ferry@127.0.0.1:9/prod.git");
    CHECK(shown_url("https://ghp_abcdef123456@github.com/acme/dev.git") == "https://***@github.com/acme/dev.git");
    CHECK(shown_url("https://x-access-token:ghs_abc@github.com/a/b") == "https://x-access-token@github.com/a/b");
    // A password holding '/': still a password.
    CHECK(shown_url("https://u:pa/ss@host/a.git") == "https://u@host/a.git");
    CHECK(shown_url("https://u:p@ss@host/a.git") == "https://u@host/a.git");
    // ssh's user is an account name, not a secret.
    CHECK(shown_url("ssh://git@github.com/acme/dev.git") == "ssh://git@github.com/acme/dev.git");
    CHECK(shown_url("git@github.com:acme/dev.git") == "git@github.com:acme/dev.git");
    // An '@' in the path is not a user part.
    CHECK(shown_url("https://host/org/repo@v1") == "https://host/org/repo@v1");
}

TEST_CASE("without_url_secrets: every copy of the secret in a message is blanked") {
    const std::string url = "https://u:pa/ss@host/a.git";
    CHECK(without_url_secrets("cannot fetch https://u:pa/ss@host/a.git: auth pa/ss failed", url) ==
          "cannot fetch https://u:***@host/a.git: auth *** failed");
    CHECK(without_url_secrets("401 for ghp_tok at https://ghp_tok@host/x", "https://ghp_tok@host/x") ==
          "401 for *** at https://***@host/x");
    CHECK(url_secrets("ssh://git@host/x").empty());
    CHECK(url_secrets("https://host/x").empty());
}
