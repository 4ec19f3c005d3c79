// The reporter: each format puts a command's result and diagnostics where
// SPEC 4.1 says, and only the reporter knows which format is on.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ferry/render/reporter.hpp"

using namespace ferry;

namespace {

struct Streams {
    std::ostringstream out, err;
    Terminal terminal(bool terminals = false, std::string step_summary = {}) {
        return {out, err, terminals, terminals, false, std::move(step_summary)};
    }
};

Diagnostics one_of_each() {
    Diagnostics d;
    d.add(error(code::schema, "unknown field 'mapings'", {"syncs/x.yaml", 3, 1}, "dev:syncs/x"));
    d.add(warning(code::stale_link, "a link names a resource that is gone", {}, "dev"));
    return d;
}

const Report kReport{{{"links", nlohmann::json::array()}}, "No links.\n", "Valid: 1 error, 1 warning."};

}  // namespace

TEST_CASE("reporter: text puts the result on standard output and diagnostics on standard error") {
    Streams s;
    auto r = make_reporter("text", false, s.terminal());
    r->result(kReport, one_of_each());
    CHECK(s.out.str() == "No links.\nValid: 1 error, 1 warning.\n");
    CHECK(s.err.str().find("error[schema]: dev:syncs/x: unknown field 'mapings'\n  --> syncs/x.yaml:3:1\n") == 0);
    CHECK(s.err.str().find("warning[stale-link]") != std::string::npos);
    CHECK(s.err.str().find('\x1b') == std::string::npos);  // not a terminal: no colour
    CHECK_FALSE(r->progress());
}

TEST_CASE("reporter: -q prints nothing but errors") {
    Streams s;
    auto r = make_reporter("text", true, s.terminal(true));
    r->result(kReport, one_of_each());
    CHECK(s.out.str().empty());
    CHECK(s.err.str().find("error[schema]") != std::string::npos);
    CHECK(s.err.str().find("warning") == std::string::npos);
    CHECK_FALSE(r->progress());
}

TEST_CASE("reporter: colour and progress on a terminal only, never with NO_COLOR") {
    Streams s;
    Terminal t = s.terminal(true);
    auto coloured = make_reporter("text", false, t);
    coloured->result(kReport, one_of_each());
    CHECK(s.err.str().find("\x1b[1;31merror") != std::string::npos);
    CHECK(coloured->progress());
    Streams plain;
    Terminal no_color = plain.terminal(true);
    no_color.no_color = true;
    make_reporter("text", false, no_color)->result(kReport, one_of_each());
    CHECK(plain.err.str().find('\x1b') == std::string::npos);
}

TEST_CASE("reporter: json prints one object with the diagnostics inside, nothing on standard error") {
    Streams s;
    make_reporter("json", false, s.terminal(true))->result(kReport, one_of_each());
    auto j = nlohmann::json::parse(s.out.str());
    CHECK(j["links"].is_array());
    REQUIRE(j["errors"].size() == 1);
    CHECK(j["errors"][0]["code"] == "schema");
    CHECK(j["errors"][0]["line"] == 3);
    CHECK(j["warnings"][0]["code"] == "stale-link");
    CHECK(s.err.str().empty());
}

TEST_CASE("reporter: github prints annotations and appends the markdown to the step summary") {
    Streams s;
    auto summary = std::filesystem::temp_directory_path() / ("ferry-reporter-test-" + std::to_string(::getpid()));
    std::filesystem::remove(summary);
    auto r = make_reporter("github", false, s.terminal(false, summary.string()));
    r->result(kReport, one_of_each());
    r->result(kReport, {});
    CHECK(s.out.str().find("::error file=syncs/x.yaml,line=3,col=1,title=schema::[schema] ") == 0);
    std::ifstream in(summary);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str().starts_with("**Valid: 1 error, 1 warning.**\n\n- **error** `schema`"));
    CHECK(text.str().find("**Valid: 1 error, 1 warning.**", 10) != std::string::npos);  // appended, not replaced
    std::filesystem::remove(summary);
}

TEST_CASE("reporter: markdown has the summary first and no text listing") {
    Streams s;
    make_reporter("markdown", false, s.terminal())->result(kReport, one_of_each());
    CHECK(s.out.str().starts_with("**Valid: 1 error, 1 warning.**\n\n- **error** `schema`"));
    CHECK(s.out.str().find("No links.") == std::string::npos);
}
