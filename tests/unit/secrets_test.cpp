// SPEC 2.4: literal secrets found by their value, a test per rule, and none
// found where there is none (the samples and every documented example).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "load/secrets.hpp"

using namespace ferry;

namespace {

std::string rule_of(std::string_view value) {
    const secrets::ValueRule* rule = secrets::match_value(value);
    return rule ? std::string(rule->name) : std::string();
}

std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("secrets: a password in a URL") {
    CHECK(rule_of("postgres://app:hunter2@db/x") == "a password in a URL");
    CHECK(rule_of("jdbc:mysql://root:pa/ss@10.0.0.1:3306/app") == "a password in a URL");
    CHECK(rule_of("postgres://app@db/x").empty());                 // no password
    CHECK(rule_of("postgres://app:${DB_PASSWORD}@db/x").empty());  // a placeholder
    CHECK(rule_of("https://example.com/a?x=b:c@d").empty());       // '@' in the query
    CHECK(rule_of("see https://docs.example.com/setup").empty());
}

TEST_CASE("secrets: a PEM private key block") {
    CHECK(rule_of("-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----\n") ==
          "a PEM private key");
    CHECK(rule_of("-----BEGIN PRIVATE KEY-----\nabc") == "a PEM private key");
    CHECK(rule_of("-----BEGIN CERTIFICATE-----\nMIIB...").empty());
}

TEST_CASE("secrets: the well-known token shapes") {
    CHECK(rule_of("AKIAIOSFODNN7EXAMPLE") == "an AWS access key id");
    CHECK(rule_of("key=ASIAY34FZKBOKMUTVV7A;") == "an AWS access key id");
    CHECK(rule_of("AKIAIOSFODNN7EXAMPLEX").empty());  // longer than an id
    CHECK(rule_of("ghp_abcdefghijklmnopqrstuvwxyz0123456789") == "a GitHub token");
    CHECK(rule_of("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz") == "a GitHub token");
    CHECK(rule_of("ghp_short").empty());
    CHECK(rule_of("xoxb-123456789012-abcdefghij") == "a Slack token");
    CHECK(rule_of("sk_live_51H8abcdefghijklmnop") == "a Stripe live key");
    CHECK(rule_of("sk_test_51H8abcdefghijklmnop").empty());  // a test key is no secret
    CHECK(rule_of("AIzaSyA1234567890abcdefghijklmnopqrstuv") == "a Google API key");
    CHECK(rule_of("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U") ==
          "a JSON Web Token");
    CHECK(rule_of("eyJ is how a JSON object starts in base64").empty());
    CHECK(rule_of("select * from users where plan = 'AKIA'").empty());
}

TEST_CASE("secrets: keys that must hold a secret reference") {
    for (const char* key :
         {"password", "db_passwd", "PWD", "client_secret", "api_token", "credentials", "private_key", "API_KEY"}) {
        CAPTURE(key);
        CHECK(secrets::names_a_secret(key));
    }
    for (const char* key : {"host", "user", "warehouse", "keys", "portal"})
        CHECK_FALSE(secrets::names_a_secret(key));
}

TEST_CASE("secrets: no sample and no documented example trips a value rule") {
    namespace fs = std::filesystem;
    const fs::path root = FERRY_SOURCE_DIR;
    std::size_t checked = 0;
    for (const auto& e : fs::recursive_directory_iterator(root / "samples")) {
        if (!e.is_regular_file() || (e.path().extension() != ".yaml" && e.path().extension() != ".yml")) continue;
        std::istringstream lines(read(e.path()));
        for (std::string line; std::getline(lines, line); ++checked) {
            CAPTURE(e.path().string());
            CAPTURE(line);
            CHECK(rule_of(line).empty());
        }
    }
    // The YAML examples of the README and docs/.
    const std::regex block("```ya?ml\\n([\\s\\S]*?)```");
    std::vector<fs::path> pages = {root / "README.md", root / "SECURITY.md"};
    for (const auto& e : fs::directory_iterator(root / "docs"))
        if (e.path().extension() == ".md") pages.push_back(e.path());
    for (const fs::path& page : pages) {
        const std::string text = read(page);
        for (std::sregex_iterator m(text.begin(), text.end(), block), end; m != end; ++m) {
            std::istringstream lines((*m)[1].str());
            for (std::string line; std::getline(lines, line); ++checked) {
                CAPTURE(page.string());
                CAPTURE(line);
                CHECK(rule_of(line).empty());
            }
        }
    }
    CHECK(checked > 200);
}
