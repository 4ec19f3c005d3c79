// The fast YAML reader against libyaml: whatever it accepts, it must build
// exactly as libyaml's events do; what it cannot build so, it must decline.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
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

// Random YAML near the edges of the subset: the pieces workspace files are
// made of, and look-alikes that are outside it or not YAML at all.
class Generator {
public:
    explicit Generator(std::uint32_t seed) : rng_(seed) {}

    std::string document() {
        std::string out = pick({"", "", "---\n", "# comment\n", "\n"});
        block(out, 0, 0);
        if (below(10) == 0) out += pick({"# end\n", "\n", "...\n", "x\n", "---\na: 1\n"});
        return out;
    }

private:
    std::size_t below(std::size_t n) { return rng_() % n; }
    std::string pick(std::initializer_list<const char*> options) {
        return *(options.begin() + static_cast<std::ptrdiff_t>(below(options.size())));
    }
    // Mostly what the subset reads, sometimes what it must decline.
    std::string scalar() {
        if (below(12) != 0) {
            return pick({"a",
                         "name",
                         "Model 0",
                         "-1",
                         "~",
                         "null",
                         "true",
                         "0x1F",
                         "0o17",
                         "1.5e3",
                         "b # c",
                         "b#c",
                         "x:y",
                         "http://u/v",
                         "it's",
                         "a,b",
                         "a[0]",
                         "a  b",
                         "a ",
                         "\"q\"",
                         "\"a: b\"",
                         "\"#x\"",
                         "'s'",
                         "'it''s'",
                         "''",
                         "\"\"",
                         "[a, b]",
                         "[]",
                         "{}",
                         "{ a: 1, b: [c, d] }",
                         "[a, [b, {c: d}]]",
                         "['x', \"y\"]",
                         "{ \"k\": v }"});
        }
        return pick({"x: y",  "*x",   "&a b",  "!t",     "@x",  "%x",   "`x`",   "? x",         "-",  "- x", "\"\\n\"",
                     "{a: }", "[a,]", "{a:b}", "[a: b]", "a #", "x\ty", "--- x", "caf\xc3\xa9", "[a", "'a",  "\"a"});
    }
    std::string key() {
        if (below(12) != 0)
            return pick({"a", "b", "name", "b c", "x-y", "1", "true", "0x1F", "k_2", "\"q\"", "'s'", "\"*\"",
                         "mail@x.io", "a.b", "a/b"});
        if (below(8) == 0) return std::string(1000 + below(40), 'k');  // near libyaml's key length limit
        return pick({"a:b", "a #c", "-k", "[k]", "a ", "? a", "&a a", "\"a"});
    }
    std::string comment() { return below(6) == 0 ? pick({" # note", "  #x", "#x"}) : ""; }

    void newline(std::string& out) {
        out += '\n';
        if (below(8) == 0) out += pick({"\n", "# c\n", "  # c\n", "   \n", "\t\n"});
    }
    // A value after `key:` or `- ` at `indent` (the collection's).
    void value(std::string& out, std::size_t indent, int depth) {
        std::size_t choice = below(depth > 4 ? 3 : 6);
        if (choice == 0) {
            out += ' ' + scalar() + comment();
            newline(out);
        } else if (choice == 1) {
            out += comment();
            newline(out);  // empty
        } else if (choice == 2) {
            out += ' ' + pick({"|", ">", "|-", ">-", "|", ">", "|+", ">2", "| #c"});
            out += '\n';
            std::size_t inner = indent + 1 + below(3);
            for (std::size_t n = 1 + below(3); n > 0; --n) {
                if (below(6) == 0) out += pick({"\n", "  \n"});
                out += std::string(inner + (below(6) == 0 ? 1 : 0), ' ') + scalar() + "\n";
            }
        } else {
            out += comment();
            newline(out);
            std::size_t step = pick({"2", "2", "4", "1", "0"})[0] - '0';
            block(out, indent + step, depth + 1);
        }
    }
    void block(std::string& out, std::size_t indent, int depth) {
        const std::string pad(indent, ' ');
        const bool seq = below(3) == 0;
        for (std::size_t n = 1 + below(4); n > 0; --n) {
            out += pad;
            if (seq) {
                out += '-';
                if (below(3) == 0) {
                    // A compact map: `- k: v`, then its keys under k.
                    out += ' ' + key() + ':';
                    value(out, indent + 2, depth + 1);
                    if (below(2) == 0) {
                        out += pad + "  " + key() + ':';
                        value(out, indent + 2, depth + 1);
                    }
                    continue;
                }
            } else {
                out += key() + ':';
            }
            value(out, indent, depth);
        }
    }

    std::mt19937 rng_;
};

}  // namespace

TEST_CASE("yaml subset agrees with libyaml on generated YAML") {
    // Every document the subset accepts is libyaml's; and it accepts enough
    // of them for that to mean something.
    std::size_t accepted = 0;
    constexpr std::size_t kDocuments = 50000;
    for (std::uint32_t seed = 0; seed < kDocuments; ++seed) {
        accepted += agrees_with_libyaml(Generator(seed).document());
    }
    MESSAGE(accepted << " of " << kDocuments << " accepted");
    CHECK(accepted > kDocuments / 20);
}

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

TEST_CASE("yaml subset declines keys libyaml would not take as keys") {
    // libyaml reads `key:` as a key only when the colon is at most 1024
    // characters after the key's start; quotes and spaces count.
    yaml::Builder builder;
    yaml::Limits limits;
    const std::string k(1023, 'k');
    for (const std::string& text : {"\"" + k + "\": 1\n", "'" + k + "': 1\n", "- \"" + k + "\": 1\n",
                                    "a:\n  '" + k + "': 1\n", "a: {" + k + "kk: 1}\n", "a: {\"" + k + "\": 1}\n",
                                    "a: {" + std::string(1020, 'k') + "     : 1}\n", k + "kk: 1\n"}) {
        INFO("input: " << text.substr(0, 20) << "...");
        CHECK_FALSE(yaml::detail::parse_block_subset(text, limits, builder));
    }
    // Comments after an indicator are read.
    CHECK(agrees_with_libyaml("a: # note\nb:\n  - # note\n  - x\n"));
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
    // The samples are workspace files as users write them: all in the subset.
    CHECK(files > 0);
    CHECK(read == files);
}
