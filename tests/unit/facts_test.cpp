// Facts and fingerprints: a hash stands for a value exactly when
// same_value() would call two values equal, and a plan told from hashes is
// the plan told from documents.
#include <doctest/doctest.h>

#include <random>

#include "ferry/model/facts.hpp"
#include "ferry/plan/plan.hpp"
#include "ferry/yaml/value.hpp"
#include "fixtures.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

yaml::Document parse(std::string_view text) {
    auto doc = yaml::parse(text);
    REQUIRE_MESSAGE(doc, text);
    return std::move(*doc);
}

// Small flow values from few pieces, so that equal values (in another key
// order, 1 and 1.0, ...) come up often.
class Values {
public:
    explicit Values(unsigned seed) : rng_(seed) {}
    std::string next(int depth = 0) {
        static constexpr std::string_view kScalars[] = {"1",
                                                        "1.0",
                                                        "'1'",
                                                        "+1",
                                                        "1e0",
                                                        "0x1",
                                                        "true",
                                                        "false",
                                                        "null",
                                                        "~",
                                                        "a",
                                                        "'a'",
                                                        "\"a\"",
                                                        "2",
                                                        "-0",
                                                        "0.0",
                                                        ".5",
                                                        "0.5",
                                                        "''",
                                                        "b c",
                                                        "1.5",
                                                        "9007199254740993",
                                                        "9007199254740992",
                                                        "-9007199254740992",
                                                        "1e300",
                                                        ".inf"};
        const int pick = static_cast<int>(rng_() % 10);
        if (depth >= 3 || pick < 6) return std::string(kScalars[rng_() % std::size(kScalars)]);
        std::size_t n = rng_() % 3;
        std::string out;
        if (pick < 8) {
            // A map: keys drawn without repeats, in a random order.
            std::string keys = "abc";
            std::shuffle(keys.begin(), keys.end(), rng_);
            for (std::size_t i = 0; i < n; ++i)
                out += (i ? ", " : "") + std::string(1, keys[i]) + ": " + next(depth + 1);
            return "{" + out + "}";
        }
        for (std::size_t i = 0; i < n; ++i)
            out += (i ? ", " : "") + next(depth + 1);
        return "[" + out + "]";
    }

private:
    std::mt19937 rng_;
};

}  // namespace

TEST_CASE("equal hashes stand for equal values, and equal values hash alike") {
    Values gen(7);
    std::vector<yaml::Document> docs;
    for (int i = 0; i < 600; ++i)
        docs.push_back(parse("v: " + gen.next() + "\n"));
    std::size_t equal_pairs = 0;
    std::size_t inexact = 0;
    for (std::size_t i = 0; i < docs.size(); ++i) {
        yaml::Node a = docs[i].root().get("v");
        auto ha = hash_value(a);
        if (!ha) {
            ++inexact;
            continue;
        }
        // A node and its JSON value hash alike.
        CHECK(hash_value(to_json(a)) == ha);
        for (std::size_t j = 0; j < docs.size(); ++j) {
            yaml::Node b = docs[j].root().get("v");
            auto hb = hash_value(b);
            if (!hb) continue;
            const bool same = same_value(a, b);
            CHECK_MESSAGE(same == (*ha == *hb), to_json(a).dump(), " vs ", to_json(b).dump());
            equal_pairs += same && i != j;
        }
    }
    // The generator must exercise both sides.
    CHECK(equal_pairs > 1000);
    CHECK(inexact > 0);
}

TEST_CASE("numbers hash as JSON compares them, and large ones cannot be hashed") {
    auto h = [](std::string_view text) { return hash_value(parse("v: " + std::string(text) + "\n").root().get("v")); };
    CHECK(h("1") == h("1.0"));
    CHECK(h("1") == h("+1"));
    CHECK(h("0.5") == h(".5"));
    CHECK(h("-0") == h("0.0"));
    CHECK(h("1") != h("'1'"));
    CHECK(h("1") != h("true"));
    CHECK(h("{a: 1, b: 2}") == h("{b: 2, a: 1}"));
    CHECK(h("[1, 2]") != h("[2, 1]"));
    CHECK(h("{}") != h("[]"));
    CHECK(h("9007199254740992"));
    CHECK_FALSE(h("9007199254740993"));
    CHECK_FALSE(h("1e300"));
    CHECK_FALSE(h("[1, {a: 9007199254740993}]"));
}

TEST_CASE("a fingerprint hashes the owned keys apart, and knows them whatever the values") {
    yaml::Document a = parse("name: X\nsource: wh\nenabled: true\nconfig: { big: 9007199254740993 }\n");
    Fingerprint f = fingerprint_of(a.root());
    CHECK_FALSE(f.exact);
    CHECK(f.has(OwnedKey::source));
    CHECK(f.has(OwnedKey::enabled));
    CHECK_FALSE(f.has(OwnedKey::schedule));
    yaml::Document b = parse("source: other\nname: X\n");
    yaml::Document c = parse("name: X\n");
    Fingerprint fb = fingerprint_of(b.root());
    Fingerprint fc = fingerprint_of(c.root());
    CHECK(fb.exact);
    CHECK(fb.rest == fc.rest);
    CHECK(fb.of(OwnedKey::source) == hash_value(nlohmann::json("other")));
    CHECK_FALSE(fingerprint_of(parse("[1]").root()).exact);
}

TEST_CASE("facts read a resource as the checks and the planner do") {
    ResourceFacts f = facts_of(parse("type: 5\nsource: wh\nmodel: [m]\nschedule: { type: fivetran }\n"
                                     "alerts: [a, 1, b]\n")
                                   .root(),
                               true);
    CHECK(f.is_map);
    CHECK(f.type.empty());  // not a string
    CHECK(f.source == "wh");
    CHECK(f.model.empty());
    CHECK(f.schedule_type == "fivetran");
    CHECK(f.schedule_is_map);
    CHECK(f.alerts == std::vector<std::string>{"a", "b"});
    CHECK(f.plaintext_secret);
    ResourceFacts g = facts_of(parse("schedule: daily\n").root(), false);
    CHECK(g.schedule_type == "manual");
    CHECK_FALSE(g.schedule_is_map);
    CHECK(*g.field("type") == "");
    CHECK_FALSE(g.field("name"));
}

namespace {

// dev and prod with one linked model; prod's copy given by each case.
Plan plan_model(const std::string& dev_model, const std::string& prod_model) {
    const char* ws = "organization: acme\nmembers:\n  alice@acme.com: admin\n";
    MemoryTree dev, prod;
    dev.add("workspace.yaml", ws);
    dev.add("sources/wh-dev.yaml", "name: WH dev\ntype: snowflake\n");
    dev.add("models/users.yaml", dev_model);
    dev.add("links.yaml", "sources:\n  wh-dev: { prod: wh }\nmodels:\n  users: { prod: users }\n");
    prod.add("workspace.yaml", ws);
    prod.add("sources/wh.yaml", "name: WH\ntype: snowflake\n");
    prod.add("models/users.yaml", prod_model);
    LoadedWorkspace s = load(dev, "dev");
    LoadedWorkspace t = load(prod, "prod");
    Diagnostics problems;
    LinkSet links = resolve_links(s.workspace, t.workspace, problems);
    return make_plan({{s.workspace, *s.documents, &s.diagnostics},
                      {t.workspace, *t.documents, &t.diagnostics},
                      links,
                      {},
                      "alice@acme.com"});
}

}  // namespace

TEST_CASE("a plan tells unchanged resources from hashes as it would from documents") {
    const std::string dev =
        "name: Users\nsource: wh-dev\ntype: sql\nsql: select 1\nconfig: { rows: 1, keep: [a, b] }\n";
    SUBCASE("same values in another order and spelling: no change") {
        Plan p = plan_model(dev,
                            "type: sql\nname: Users\nconfig: { keep: [a, b], rows: 1.0 }\nsql: select 1\n"
                            "source: wh\n");
        CHECK(p.changes.empty());
    }
    SUBCASE("a key only prod has: a change") {
        Plan p = plan_model(dev,
                            "name: Users\nsource: wh\ntype: sql\nsql: select 1\nconfig: { rows: 1, "
                            "keep: [a, b] }\nowner: ops\n");
        REQUIRE(p.changes.size() == 1);
    }
    SUBCASE("one item of a list: a change") {
        Plan p = plan_model(dev,
                            "name: Users\nsource: wh\ntype: sql\nsql: select 1\nconfig: { rows: 1, "
                            "keep: [b, a] }\n");
        REQUIRE(p.changes.size() == 1);
    }
    SUBCASE("a number beyond a hash: compared from the documents") {
        const std::string big =
            "name: Users\nsource: wh-dev\ntype: sql\nsql: select 1\nconfig: { rows: 9007199254740993 }\n";
        CHECK(plan_model(big, "name: Users\nsource: wh\ntype: sql\nsql: select 1\nconfig: { rows: 9007199254740993 }\n")
                  .changes.empty());
        CHECK(plan_model(big, "name: Users\nsource: wh\ntype: sql\nsql: select 1\nconfig: { rows: 9007199254740992 }\n")
                  .changes.size() == 1);
    }
}
