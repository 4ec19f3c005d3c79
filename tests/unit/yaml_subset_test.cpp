// The fast YAML reader against libyaml: whatever it accepts, it must build
// exactly as libyaml's events do; what it cannot build so, it must decline.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "yaml/parsers.hpp"

using namespace ferry;

namespace {

std::string image(const yaml::Document& doc) {
    std::string out;
    doc.append_image(out);
    return out;
}

// True when the subset read the text; then libyaml must agree byte for byte.
bool agrees_with_libyaml(std::string_view text) {
    yaml::Builder builder;
    yaml::Limits limits;
    auto fast = yaml::detail::parse_block_subset(text, limits, builder);
    if (!fast) return false;
    auto full = yaml::detail::parse_full(text, limits, builder);
    INFO("input:\n" << text);
    REQUIRE_MESSAGE(full.has_value(), (full ? std::string() : full.error().message));
    CHECK(image(*fast) == image(*full));
    return true;
}

}  // namespace

TEST_CASE("yaml subset reads workspace files as libyaml does") {
    CHECK(
        agrees_with_libyaml("name: Model 0\nsource: warehouse-0-dev\ntype: sql\nsql: >-\n"
                            "  select id, email\n  from analytics.customers where region = 'r0'\n"
                            "primary_key: id\ndescription: Customers of segment 0. Revised.\n"
                            "tags: [crm, segment-0]\n"));
    CHECK(
        agrees_with_libyaml("name: Sync 0\nmodel: m000000\nenabled: false\nschedule:\n  type: interval\n"
                            "  every: 1h\nconfig:\n  object: Contact\n  mappings:\n"
                            "    - { from: column_0_0, to: Renamed0__c }\n    - { from: b, to: 'c' }\n"));
    CHECK(
        agrees_with_libyaml("# yaml-language-server: $schema=x\nname: dev\norganization: bench\nmembers:\n"
                            "  bench@example.com: admin\n  \"*\": viewer\nalerts:\n  oncall:\n    type: slack\n"
                            "    channel: \"#data\"\n"));
    CHECK(
        agrees_with_libyaml("---\nlist:\n- a\n- b: 1\n  c: [1, 0x1F, 'it''s', \"q\"]\n-\n- \nd: |\n  one\n  two\n\n"
                            "e: {}\nf: []\ng:\nh: ~\n"));
    CHECK(agrees_with_libyaml("a: >\n  x\n\n  y\nb: [c, [d, {e: f}], {}]\nc: |-\n  x\n\n    y\n  z\n"));
    // More than eight maps in a sequence: only maps are checked for duplicate keys.
    std::string mappings = "mappings:\n";
    for (int i = 0; i < 12; ++i)
        mappings += "  - { from: c" + std::to_string(i) + ", to: F }\n";
    CHECK(agrees_with_libyaml(mappings));
    CHECK(agrees_with_libyaml("a:\n  - x\n  -\n    y: 1\n  - z\nb: -1\n"));
}

TEST_CASE("yaml subset declines what it cannot build as libyaml does") {
    yaml::Builder builder;
    yaml::Limits limits;
    for (std::string_view text : {
             "a: b: c\n",
             "a: 1\na: 2\n",
             "a:\tb\n",
             "a: &x 1\nb: *x\n",
             "a: !!str 1\n",
             "a: b\r\n",
             "a: caf\xc3\xa9\n",
             "a: 1",
             "",
             "# nothing\n",
             "plain\n",
             "a: b\n  c\n",
             "- a\nb: 1\n",
             "a: |+\n  x\n",
             "a: |\n   x\n  y\n",
             "? a\n: b\n",
             "a: >\n  x\n   y\n",
             "a: \"b\\n\"\n",
             "a: 'b\n  c'\n",
             "---\na: 1\n---\nb: 2\n",
             "%YAML 1.2\n---\na: 1\n",
         }) {
        INFO("input: " << text);
        CHECK_FALSE(yaml::detail::parse_block_subset(text, limits, builder));
    }
}

TEST_CASE("yaml subset reads the sample workspaces") {
    std::size_t read = 0, files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(FERRY_SOURCE_DIR "/samples")) {
        if (entry.path().extension() != ".yaml") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        ++files;
        read += agrees_with_libyaml(text.str());
    }
    CHECK(files > 0);
    MESSAGE(read << " of " << files);
}
