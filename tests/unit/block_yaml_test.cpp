// ferry's YAML emitter against yaml-cpp's, byte for byte: on the samples,
// on the shapes the end-to-end tests write, on hostile strings in every
// place a string can stand, and on many random documents.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "ferry/model/field_order.hpp"
#include "ferry/write/files.hpp"
#include "ferry/yaml/value.hpp"
#include "write/block_yaml.hpp"

using namespace ferry;
using json = nlohmann::json;

namespace {

constexpr std::array<std::string_view, 6> kWorkspaceOrder = {"name",      "organization", "members",
                                                             "approvals", "extensions",   "alerts"};

// Every order a document is written with.
std::vector<std::span<const std::string_view>> all_orders() {
    std::vector<std::span<const std::string_view>> orders;
    for (Kind kind : kAllKinds)
        orders.push_back(field_order(kind));
    orders.push_back(kWorkspaceOrder);
    orders.push_back({});
    return orders;
}

// Printable in a failure message: the bytes, escaped.
std::string shown(std::string_view s) {
    return json(std::string(s)).dump(-1, ' ', true, json::error_handler_t::replace);
}

struct Tally {
    std::size_t documents = 0;
    std::size_t fallbacks = 0;
};

// Whether `s` goes into a literal block holding U+0000: a NUL byte, or an
// overlong form that yaml-cpp reads as one.
bool literal_with_nul(const std::string& s) {
    using namespace std::string_view_literals;
    if (!detail::fits_literal_block(s) || s.find('\n') == s.size() - 1) return false;
    for (std::string_view nul : {"\0"sv, "\xc0\x80"sv, "\xe0\x80\x80"sv, "\xf0\x80\x80\x80"sv}) {
        if (s.find(nul) != std::string::npos) return true;
    }
    for (std::size_t i = 0; i + 3 < s.size(); ++i) {
        if (static_cast<unsigned char>(s[i]) >= 0xf8 && (s[i] & 0x07) == 0 && s.substr(i + 1, 3) == "\x80\x80\x80")
            return true;
    }
    return false;
}

// The inputs left to yaml-cpp: a literal block with U+0000 somewhere.
bool left_to_yaml_cpp(const json& v) {
    if (v.is_string()) return literal_with_nul(v.get_ref<const std::string&>());
    if (v.is_array()) return std::ranges::any_of(v, left_to_yaml_cpp);
    if (v.is_object()) {
        for (const auto& [key, item] : v.items()) {
            if (literal_with_nul(key) || left_to_yaml_cpp(item)) return true;
        }
    }
    return false;
}

// One document both ways; a mismatch fails with both texts.
void compare(const json& value, std::span<const std::string_view> order, Tally& tally) {
    std::string fast = "# head\n";
    bool written = detail::write_block_yaml(value, order, fast);
    std::string reference = detail::block_yaml_by_yaml_cpp(value, order);
    ++tally.documents;
    CHECK(written != left_to_yaml_cpp(value));
    if (!written) {
        ++tally.fallbacks;
        CHECK(fast == "# head\n");  // left as it was
        return;
    }
    if (fast.substr(7) != reference) {
        FAIL_CHECK("ferry's emitter differs from yaml-cpp's\ninput:    "
                   << value.dump(-1, ' ', true, json::error_handler_t::replace)
                   << "\nferry:    " << shown(fast.substr(7)) << "\nyaml-cpp: " << shown(reference));
    }
}

void compare_all_orders(const json& value, Tally& tally) {
    for (auto order : all_orders())
        compare(value, order, tally);
}

// resource_yaml() as ferry wrote it before: the schema line, yaml-cpp's text
// and a final newline.
std::string resource_yaml_by_yaml_cpp(Kind kind, const json& resource) {
    bool draft = has_drafts(kind) && resource.is_object() && resource.contains("draft");
    std::string text =
        schema_comment(schema_file(kind, draft)) + detail::block_yaml_by_yaml_cpp(resource, field_order(kind));
    if (text.back() != '\n') text += '\n';
    return text;
}

json parse_json(const std::string& text) {
    auto doc = yaml::parse(text);
    REQUIRE(doc);
    return to_json(doc->root());
}

std::string repeat(std::string_view unit, std::size_t size) {
    std::string s;
    while (s.size() < size)
        s += unit;
    s.resize(size);
    return s;
}

// Strings that each trip a different rule of plain, double-quoted or
// literal text.
std::vector<std::string> hostile_strings() {
    using namespace std::string_literals;
    std::vector<std::string> strings = {
        "plain",
        "two words",
        " leading",
        "trailing ",
        "  both  ",
        "a: b",
        "a:b",
        "a:",
        ":a",
        ": a",
        ":",
        "a #b",
        "a#b",
        "#a",
        "- a",
        "-a",
        "-",
        "--",
        "---",
        "...",
        "? a",
        "?a",
        "?",
        "[a]",
        "a[",
        "{a}",
        "a}",
        ",a",
        "a,",
        "&a",
        "*a",
        "!a",
        "!!str",
        "|a",
        ">a",
        "%a",
        "@a",
        "`a",
        "a`",
        "'a'",
        "a'b",
        "\"a\"",
        "a\"b",
        "a\\b",
        "\\",
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "true",
        "True",
        "TRUE",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "1",
        "-1",
        "+1",
        "1.5",
        "1e3",
        "1E3",
        "1e",
        "0x1F",
        "0x",
        "0o17",
        "017",
        ".inf",
        "-.inf",
        ".nan",
        ".5",
        "5.",
        "1_000",
        "<<",
        "=",
        "",
        " ",
        "a\tb",
        "\t",
        "a\t",
        "a\rb",
        "\r",
        "a\r",
        "\ra",
        "a\r\nb",
        "a\r\n",
        "-\r",
        ":\r",
        "-\r\n",
        "a\0b"s,
        "\0"s,
        "\0\n\0\n"s,
        "a\x01z",
        "\x07",
        "\x08",
        "\x0b",
        "\x0c",
        "\x1b[31m",
        "\x1f",
        "a\x7f",
        "\x7f",
        "caf\xc3\xa9",
        "\xe2\x82\xac",
        "\xf0\x9f\x98\x80",
        "a\xf0\x9f\x98\x80"
        "b",
        "\xc2\x80",
        "\xc2\x84",
        "\xc2\x85",
        "\xc2\x86",
        "\xc2\x9f",
        "\xc2\xa0",
        "\xc2\xa1",
        "\xc3\xbf",
        "\xef\xbb\xbf",
        "\xef\xbb\xbf"
        "a",
        "a\xef\xbb\xbf",
        "\xef\xbb",
        "\xe2\x80\xa8",
        "\xe2\x80\xae",
        "\xef\xbf\xbd",
        "\xef\xbf\xbe",
        "\xef\xbf\xbf",
        "\xf0\x9f\xbf\xbe",
        "\xef\xb7\x90",
        "\xef\xb7\xaf",
        "\xef\xb7\xb0",
        "\xed\xa0\x80",
        "\xed\x9f\xbf",
        "\xf4\x8f\xbf\xbd",
        "\xf4\x90\x80\x80",
        "\xf7\xbf\xbf\xbf",
        "\xf8\x88\x80\x80",
        "\xff",
        "\xfe",
        "\x80",
        "a\x80z",
        "\xbf",
        "\xc0\x80",
        "\xc0\x8a",
        "\xc1\x81",
        "\xc1\xa2",
        "\xe0\x80\x80",
        "\xe0\x80\xa2",
        "\xe2\x82",
        "\xe2\x82z",
        "\xf0\x9f\x98",
        "\xf0\x9f",
        "\xf0",
        "\xc3",
        "a\xc3",
        "\xc3 ",
        "\xc3\n",
        repeat("a", 1023),
        repeat("a", 1024),
        repeat("a", 1025),
        repeat("a", 5000),
        repeat("a b: ", 1025),
        repeat("\"", 1025),
        repeat("\xc3\xa9", 1024),
        repeat("\xc3\xa9", 1026),
        repeat("line\n", 1030),
        "one\ntwo\n",
        "one\ntwo",
        "one\n",
        "\n",
        "\n\n",
        "one\n\n",
        "one\n\ntwo\n",
        "one\n\n\ntwo\n",
        "one\n  two\n",
        "one\n  two\n    three\n",
        "one\n two",
        " one\ntwo\n",
        "\none\n",
        "one\ntwo \n",
        "one \ntwo\n",
        "one\n\ttwo\n",
        "one\r\ntwo\r\n",
        "one\ntwo\n\n",
        "one\n#two\n",
        "one\n- two\n",
        "key: value\nother: value\n",
        "sql: |\n  select 1\n",
        "caf\xc3\xa9\n\xe2\x82\xac\n",
        "\xf0\x9f\x98\x80\n\xf0\x9f\x98\x80\n",
        "bad\xff\nbytes\x80\n",
        "bom\n\xef\xbb\xbf\n",
        "nul\n\0\n"s,
        "overlong\n\xc0\x80\n",
        "overlong newline\xc0\x8a\n",
        "\xc0\x8aleading overlong newline\n",
        "ctl\n\x01\x7f\n",
        "a\xc2\x85line\n",
        "nbsp\n\xc2\xa0\n",
        "noncharacter\n\xef\xbf\xbe\n",
        "truncated\n\xe2\x82\n",
        "\xe2\x82\nfirst truncated\n",
        "-\n",
        "- a\n- b\n",
        "? \n",
        "null\n",
        "true\nfalse\n",
    };
    return strings;
}

// Every place a string can stand in a document.
std::vector<json> placements(const std::string& s, const std::string& other) {
    json seq_of_maps = json::array({json::object({{s, s}, {"k", other}}), json::object({{"a", 1}})});
    return {
        json(s),
        json::object({{"k", s}}),
        json::object({{s, "v"}}),
        json::object({{s, s}}),
        json::object({{"a", 1}, {s, other}, {"z", json::array({s, other})}}),
        json::array({s, other}),
        json::object({{"k", json::array({s})}}),
        json::object({{"k", json::array({json::object({{s, s}})})}}),
        json::object({{"k", json::array({json::array({s, json::object({{"x", s}})})})}}),
        json::object({{s, json::object({{s, json::array({s})}})}}),
        json::object({{s, json::array({s, json::object()})}}),
        json::object({{s, json::object()}, {other, json::array()}}),
        json::object({{s, json::array({json::array({s})})}}),
        json::object({{"mappings", seq_of_maps}}),
        json::object({{"config", json::object({{"mappings", seq_of_maps}})}, {"name", s}}),
        json::array({json::array({s}), json::object({{s, json::object({{other, s}})}})}),
        json::object({{s, nullptr}, {other, true}}),
    };
}

// Random documents of every shape, strings drawn from hostile pieces.
class Generator {
public:
    explicit Generator(std::uint64_t seed) : random_(seed) {}

    json document() {
        int top = pick(20);
        if (top == 0) return value(2);
        if (top == 1) return array(2);
        return object(0);
    }

    std::string string() {
        static const std::vector<std::string> pieces = [] {
            using namespace std::string_literals;
            return std::vector<std::string>{
                "a",
                "b",
                "Z",
                "key",
                "0",
                "1",
                ".",
                "e",
                "x",
                " ",
                "  ",
                ":",
                ": ",
                " #",
                "#",
                "-",
                "- ",
                "?",
                "? ",
                "[",
                "]",
                "{",
                "}",
                ",",
                "&",
                "*",
                "!",
                "|",
                ">",
                "'",
                "\"",
                "%",
                "@",
                "`",
                "\\",
                "~",
                "null",
                "Null",
                "true",
                "yes",
                "no",
                "on",
                "1e3",
                "0x1F",
                "0o17",
                ".inf",
                "-",
                "\t",
                "\r",
                "\r\n",
                "\n",
                "\n\n",
                "\0"s,
                "\x01",
                "\x08",
                "\x0c",
                "\x1f",
                "\x7f",
                "\xc3\xa9",
                "\xe2\x82\xac",
                "\xf0\x9f\x98\x80",
                "\xc2\x85",
                "\xc2\xa0",
                "\xc2\x80",
                "\xc2\x9f",
                "\xef\xbb\xbf",
                "\xef\xbf\xbe",
                "\xed\xa0\x80",
                "\xc0\x80",
                "\xc0\x8a",
                "\xc1\x81",
                "\x80",
                "\xff",
                "\xe2\x82",
                "\xf0\x9f",
                "\xc3",
                "\xe2\x80\xa8",
                "\xf4\x90\x80\x80",
            };
        }();
        static const std::vector<std::string> words = {"",     "~",    "null", "Null", "NULL",  "true", "false",
                                                       "yes",  "no",   "on",   "1",    "-1",    "1.5",  "1e3",
                                                       "0x1F", "0o17", ".inf", ".nan", "-",     "?",    ":",
                                                       "<<",   "=",    "name", "type", "draft", "from", "to"};
        int shape = pick(40);
        if (shape == 0) return words[pick(words.size())];
        if (shape == 1) {
            // Around yaml-cpp's long-key limit, now and then.
            std::string unit = pieces[pick(pieces.size())];
            return repeat(unit.empty() ? "a" : unit, 1020 + pick(10));
        }
        std::string s;
        int count = pick(9);
        for (int i = 0; i < count; ++i)
            s += pick(3) == 0 ? pieces[pick(pieces.size())] : std::string(1, static_cast<char>('a' + pick(26)));
        if (shape < 12) s += "\n";  // the shape of a literal block, often
        if (shape < 4) s = "line one\n" + s + "\nline three\n";
        return s;
    }

    json scalar() {
        switch (pick(12)) {
            case 0:
                return nullptr;
            case 1:
                return pick(2) == 0;
            case 2:
                return static_cast<std::int64_t>(random_()) >> pick(64);
            case 3:
                return std::uint64_t{random_()} | (std::uint64_t{1} << 63);
            case 4: {
                static const std::vector<double> floats = {0.0,
                                                           -0.0,
                                                           1.5,
                                                           -2.25,
                                                           1e300,
                                                           1e-300,
                                                           0.1,
                                                           123456789.0,
                                                           std::numeric_limits<double>::infinity(),
                                                           std::numeric_limits<double>::quiet_NaN(),
                                                           std::numeric_limits<double>::denorm_min()};
                return pick(2) == 0 ? floats[pick(floats.size())]
                                    : std::ldexp(static_cast<double>(random_() % 1000000), pick(40) - 20);
            }
            case 5:
                return json::object();
            case 6:
                return json::array();
            default:
                return string();
        }
    }

    json value(int depth) {
        int p = pick(10);
        if (depth < 5 && p == 0) return object(depth + 1);
        if (depth < 5 && p == 1) return array(depth + 1);
        return scalar();
    }

    json object(int depth) {
        static const std::vector<std::string> names = {"name",   "type",  "draft",  "schedule", "mappings",
                                                       "from",   "to",    "config", "sql",      "model",
                                                       "author", "every", "alerts", "enabled",  "origin"};
        json o = json::object();
        int count = pick(6) + (depth == 0 ? 1 : 0);
        for (int i = 0; i < count; ++i)
            o[pick(3) == 0 ? string() : names[pick(names.size())]] = value(depth);
        return o;
    }

    json array(int depth) {
        json a = json::array();
        int count = pick(5);
        for (int i = 0; i < count; ++i)
            a.push_back(value(depth));
        return a;
    }

    template <typename N>
    int pick(N n) {
        return static_cast<int>(random_() % static_cast<std::uint64_t>(n));
    }

private:
    std::mt19937_64 random_;
};

}  // namespace

TEST_CASE("block yaml: the samples, byte for byte as yaml-cpp wrote them") {
    Tally tally;
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(FERRY_SOURCE_DIR "/samples/workspaces")) {
        if (entry.path().extension() != ".yaml") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        CAPTURE(entry.path().string());
        json value = parse_json(text.str());
        compare_all_orders(value, tally);
        for (Kind kind : kAllKinds)
            CHECK(resource_yaml(kind, value) == resource_yaml_by_yaml_cpp(kind, value));
        ++files;
    }
    CHECK(files > 30);
    CHECK(tally.fallbacks == 0);
}

TEST_CASE("block yaml: the shapes the end-to-end tests write") {
    const char* documents[] = {
        "name: Warehouse\ntype: snowflake\nconfig:\n  account: acme\n  database: ANALYTICS\n"
        "  password: { secret: SNOWFLAKE_PW }\n",
        "name: CRM\ntype: salesforce\nconfig:\n  instance: acme.my.salesforce.com\n"
        "  access_token: { secret: SALESFORCE_TOKEN }\n",
        "name: Active users\nsource: warehouse\ntype: sql\nsql: select * from users where active\nprimary_key: "
        "user_id\n",
        "name: Users to CRM\nmodel: active-users\ndestination: crm\nenabled: true\n"
        "schedule: { type: interval, every: 1h }\nalerts: [oncall]\n"
        "config:\n  object: Contact\n  mode: upsert\n  mappings: [{ from: email, to: Email }, { to: Id, from: id }]\n",
        "draft: { author: dan@acme.com, approval: none, created: 2024-01-01, origin: { workspace: dev } }\n"
        "name: Draft\nsource: wh-dev\ntype: table\ntable: d\n",
        "name: VIP\nmodel: users\nfilter: { plan: gold, and: [{ spend: { gt: 100 } }, { country: [FR, DE] }] }\n",
        "name: Dev\norganization: acme\nmembers:\n  alice@acme.com: admin\n  bob@acme.com: editor\n"
        "approvals: { prod: 2 }\nalerts:\n  oncall: { type: pagerduty }\n",
        "name: Multi\nsource: wh\ntype: sql\nsql: |\n  select a,\n    b\n\n  from t\n"
        "description: \"trailing newlines\\n\\n\"\ntags: [a, \"1\", \"true\", \"null\", '']\n",
        "name: Empty\nconfig: {}\ntags: []\nschedule: { type: cron, expression: '*/5 * * * *' }\n",
        "name: Numbers\nconfig: { port: 5432, ratio: 0.25, big: 18446744073709551615, neg: -3, off: false, none: null "
        "}\n",
    };
    Tally tally;
    for (const char* text : documents) {
        CAPTURE(text);
        json value = parse_json(text);
        compare_all_orders(value, tally);
        for (Kind kind : kAllKinds)
            CHECK(resource_yaml(kind, value) == resource_yaml_by_yaml_cpp(kind, value));
    }
    CHECK(tally.fallbacks == 0);
    CHECK(workspace_yaml(parse_json(documents[6])) ==
          schema_comment("workspace.schema.json") +
              detail::block_yaml_by_yaml_cpp(parse_json(documents[6]), kWorkspaceOrder) + "\n");
}

TEST_CASE("block yaml: hostile strings in every place a string can stand") {
    std::vector<std::string> strings = hostile_strings();
    Tally tally;
    for (std::size_t i = 0; i < strings.size(); ++i) {
        const std::string& s = strings[i];
        const std::string& other = strings[(i * 7 + 3) % strings.size()];
        for (const json& value : placements(s, other)) {
            compare(value, field_order(Kind::syncs), tally);
            compare(value, {}, tally);
        }
    }
    CHECK(tally.documents > 5000);
    CHECK(tally.fallbacks > 0);
}

TEST_CASE("block yaml: a NUL never goes into a literal block, where yaml-cpp cut the file at it") {
    using namespace std::string_literals;
    for (const json& value :
         {json::object({{"name", "x"}, {"sql", "a\nb\0c\nd\n"s}, {"type", "sql"}}), json::object({{"a\n\0\n"s, 1}})}) {
        std::string out;
        CHECK(detail::write_block_yaml(value, field_order(Kind::models), out));
        CHECK(out.find("\\x00") != std::string::npos);  // escaped, double-quoted
        CHECK(resource_yaml(Kind::models, value) == resource_yaml_by_yaml_cpp(Kind::models, value));
    }
}

TEST_CASE("block yaml: what is left to yaml-cpp is written as yaml-cpp writes it") {
    // An overlong NUL (not UTF-8: no document ferry reads holds one) in a
    // literal block: yaml-cpp decodes it, and it is its bytes that count.
    const json value = json::object({{"name", "x"}, {"sql", "a\n\xc0\x80\n"}});
    std::string out;
    CHECK_FALSE(detail::write_block_yaml(value, field_order(Kind::models), out));
    CHECK(out.empty());
    CHECK(resource_yaml(Kind::models, value) == resource_yaml_by_yaml_cpp(Kind::models, value));
}

TEST_CASE("block yaml: random documents") {
    Generator generator(20240611);
    std::vector<std::span<const std::string_view>> orders = all_orders();
    Tally tally;
    std::size_t literal = 0, long_key = 0, quoted = 0, sequence_in_sequence = 0;
    for (int i = 0; i < 40000; ++i) {
        json value = generator.document();
        auto order = orders[generator.pick(orders.size())];
        compare(value, order, tally);
        std::string text = detail::block_yaml_by_yaml_cpp(value, order);
        literal += text.find("|\n") != std::string::npos;
        long_key +=
            text.starts_with("? ") || text.find("\n? ") != std::string::npos || text.find("- ? ") != std::string::npos;
        quoted += text.find('"') != std::string::npos;
        sequence_in_sequence += text.find("-\n") != std::string::npos;
        if (i % 16 == 0) {
            Kind kind = kAllKinds[i / 16 % kAllKinds.size()];
            CHECK(resource_yaml(kind, value) == resource_yaml_by_yaml_cpp(kind, value));
        }
    }
    CHECK(tally.documents == 40000);
    CHECK(tally.fallbacks < tally.documents / 20);
    // The generator reaches each layout it is there for.
    CHECK(literal > 4000);
    CHECK(long_key > 1000);
    CHECK(quoted > 20000);
    CHECK(sequence_in_sequence > 1000);
}
