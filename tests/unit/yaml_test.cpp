#include <doctest/doctest.h>

#include <string>

#include "ferry/yaml/yaml.hpp"

using namespace ferry;
using yaml::Type;

namespace {
yaml::Document must_parse(std::string_view text) {
    auto doc = yaml::parse(text);
    REQUIRE_MESSAGE(doc.has_value(), (doc ? std::string() : doc.error().message));
    return std::move(*doc);
}
yaml::ParseError must_fail(std::string_view text) {
    auto doc = yaml::parse(text);
    REQUIRE_FALSE(doc.has_value());
    return doc.error();
}
}  // namespace

TEST_CASE("yaml::parse builds a tree with marks") {
    auto doc = must_parse("name: Users\nconfig:\n  mappings:\n    - { from: email, to: Email }\n");
    auto root = doc.root();
    REQUIRE(root.is_map());
    CHECK(root.size() == 2);
    CHECK(root.get("name").text() == "Users");
    CHECK(root.get("name").mark().line == 1);
    CHECK(root.get("name").mark().column == 7);
    auto to = root.get("config").get("mappings").item(0).get("to");
    CHECK(to.text() == "Email");
    CHECK(to.mark().line == 4);
    CHECK(to.mark().column == 26);
    CHECK(root.key_node("config").mark().line == 2);
    CHECK_FALSE(root.get("absent"));
    CHECK(root.get("absent").get("deeper").size() == 0);
}

TEST_CASE("yaml::parse types scalars by the YAML 1.2 core schema") {
    auto doc = must_parse(
        "a: true\nb: 'true'\nc: 12\nd: 1.5\ne: ~\nf:\ng: yes\nh: 0x1F\ni: \"12\"\nj: -3\nk: 1e3\nl: .5\nm: "
        "2026-11-20T10:00:00Z\n");
    auto r = doc.root();
    CHECK(r.get("a").type() == Type::boolean);
    CHECK(r.get("a").as_bool());
    CHECK(r.get("b").type() == Type::string);
    CHECK(r.get("c").type() == Type::integer);
    CHECK(r.get("d").type() == Type::number);
    CHECK(r.get("e").type() == Type::null);
    CHECK(r.get("f").type() == Type::null);
    CHECK(r.get("g").type() == Type::string);  // no Norway problem
    CHECK(r.get("h").type() == Type::integer);
    CHECK(r.get("h").text() == "31");
    CHECK(r.get("i").type() == Type::string);
    CHECK(r.get("j").type() == Type::integer);
    CHECK(r.get("k").type() == Type::number);
    CHECK(r.get("l").type() == Type::number);
    CHECK(r.get("m").type() == Type::string);
}

TEST_CASE("yaml::parse of an empty file is a null document") {
    CHECK(must_parse("").root().is_null());
    CHECK(must_parse("# only a comment\n").root().is_null());
}

TEST_CASE("yaml::parse reports syntax errors with line and column") {
    auto e = must_fail("name: ok\nbad: [unclosed\n");
    CHECK(e.kind == yaml::ParseError::Kind::syntax);
    CHECK(e.mark.line == 3);
    e = must_fail("a: 1\n  b: 2\n");
    CHECK(e.mark.line == 2);
}

TEST_CASE("yaml::parse refuses what is ambiguous") {
    SUBCASE("duplicate keys") {
        auto e = must_fail("a: 1\nb: 2\na: 3\n");
        CHECK(e.message.find("duplicate key 'a'") != std::string::npos);
        CHECK(e.mark.line == 3);
    }
    SUBCASE("duplicate keys in a large map") {
        std::string text;
        for (int i = 0; i < 100; ++i)
            text += "k" + std::to_string(i) + ": 1\n";
        text += "k42: 2\n";
        CHECK(must_fail(text).mark.line == 101);
    }
    SUBCASE("several documents") {
        CHECK(must_fail("a: 1\n---\nb: 2\n").mark.line == 2);
    }
    SUBCASE("non-scalar keys") {
        must_fail("? [a, b]\n: 1\n");
    }
    SUBCASE("custom tags") {
        CHECK(must_fail("a: !!python/object x\n").message.find("tag") != std::string::npos);
    }
    SUBCASE("a core tag its value does not match") {
        auto e = must_fail("a: 1\nb: !!int abc\n");
        CHECK(e.message == "'abc' is not an int, as its tag !!int says");
        CHECK(e.mark.line == 2);
        CHECK(e.mark.column == 4);
        must_fail("a: !!bool maybe\n");
        must_fail("a: !!null 0\n");
        must_fail("a: !!float one\n");
    }
    SUBCASE("a NUL or control character, located where it is") {
        auto e = must_fail(std::string("name: x\nsql: se\0lect\n", 20));
        CHECK(e.mark.line == 2);
        CHECK(e.mark.column == 8);
        auto f = must_fail("a: \xc3\xa9\x01\n");  // columns count characters, not bytes
        CHECK(f.mark.column == 5);
    }
    SUBCASE("unknown alias") {
        must_fail("a: *nothing\n");
    }
    SUBCASE("an alias inside its own anchor") {
        must_fail("a: &x [1, *x]\n");
    }
}

TEST_CASE("yaml::parse: core tags a value matches") {
    auto doc = must_parse("a: !!int 12\nb: !!float 1\nc: !!bool true\nd: !!int \"7\"\ne: !!str 12\n");
    auto r = doc.root();
    CHECK(r.get("a").type() == yaml::Type::integer);
    CHECK(r.get("b").type() == yaml::Type::integer);
    CHECK(r.get("c").type() == yaml::Type::boolean);
    CHECK(r.get("d").type() == yaml::Type::integer);
    CHECK(r.get("e").type() == yaml::Type::string);
}

TEST_CASE("yaml::parse shares aliased nodes without copying them") {
    auto doc = must_parse("base: &b { x: 1, y: 2 }\nother: *b\n");
    auto r = doc.root();
    CHECK(r.get("other").index() == r.get("base").index());
    CHECK(r.get("other").get("y").text() == "2");
}

TEST_CASE("yaml::parse refuses alias bombs before expanding them") {
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; ++c, ++prev) {
        bomb += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 10; ++i)
            bomb += std::string(i ? ", " : "") + "*" + prev;
        bomb += "]\n";
    }
    auto e = must_fail(bomb);
    CHECK(e.kind == yaml::ParseError::Kind::unsafe);
}

TEST_CASE("yaml::parse bounds nesting at 64 levels") {
    auto nested = [](int levels) {
        std::string s;
        for (int i = 0; i < levels; ++i)
            s += "[";
        for (int i = 0; i < levels; ++i)
            s += "]";
        return s;
    };
    must_parse(nested(64));
    CHECK(must_fail(nested(65)).kind == yaml::ParseError::Kind::unsafe);
    // Deep enough to overflow a recursive parser: refused, not crashed.
    CHECK(must_fail(nested(100000)).kind == yaml::ParseError::Kind::unsafe);
    SUBCASE("through an alias") {
        std::string text =
            "a: &deep " + nested(40) + "\nb: " + std::string(30, '[') + "*deep" + std::string(30, ']') + "\n";
        CHECK(must_fail(text).kind == yaml::ParseError::Kind::unsafe);
    }
    SUBCASE("block style") {
        std::string text;
        for (int i = 0; i < 70; ++i)
            text += std::string(2 * i, ' ') + "k:\n";
        CHECK(must_fail(text).kind == yaml::ParseError::Kind::unsafe);
    }
}

TEST_CASE("yaml::parse accepts UTF-8 only, and points at the first bad byte") {
    must_parse("name: caf\xc3\xa9\n");
    auto e = must_fail("name: ok\nother: ab\xff\n");
    CHECK(e.kind == yaml::ParseError::Kind::syntax);
    CHECK(e.mark.line == 2);
    CHECK(e.mark.column == 10);
    CHECK(must_fail("a: \xc0\xaf\n").mark.column == 4);      // overlong
    CHECK(must_fail("a: \xed\xa0\x80\n").mark.column == 4);  // surrogate
    CHECK(must_fail("\xe2\x82").mark.column == 1);           // truncated
}

TEST_CASE("yaml::parse reads CRLF as LF") {
    auto doc = must_parse("a: 1\r\nb: |\r\n  x\r\n  y\r\n");
    CHECK(doc.root().get("b").text() == "x\ny\n");
    CHECK(doc.root().get("b").mark().line == 2);
}

TEST_CASE("yaml::parse skips a UTF-8 byte-order mark") {
    auto doc = must_parse("\xEF\xBB\xBFname: x\n");
    CHECK(doc.root().get("name").text() == "x");
    CHECK(doc.root().get("name").mark().column == 7);
}
