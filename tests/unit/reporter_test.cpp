// The reporter: each format puts a command's result and diagnostics where
// SPEC 4.1 says, and only the reporter knows which format is on.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ferry/plan/plan.hpp"
#include "ferry/render/render.hpp"
#include "ferry/render/reporter.hpp"
#include "ferry/util/sha256.hpp"

using namespace ferry;

namespace {

struct Streams {
    std::ostringstream out, err;
    Terminal terminal(bool terminals = false, std::string step_summary = {}) {
        return {out, err, nullptr, terminals, terminals, false, std::move(step_summary)};
    }
};

Diagnostics one_of_each() {
    Diagnostics d;
    d.add(error(code::schema, "unknown field 'mapings'", {"syncs/x.yaml", 3, 1}, "dev:syncs/x"));
    d.add(warning(code::stale_link, "a link names a resource that is gone", {}, "dev"));
    return d;
}

const Report kReport{{{"links", nlohmann::json::array()}}, {"No links."}, "Valid: 1 error, 1 warning."};

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

namespace {

Plan small_plan() {
    Plan p;
    p.from = {"dev", "main", std::string(40, 'a')};
    p.to = {"prod", "main", std::string(40, 'b')};
    p.actor = "alice@acme.com";
    p.status = PlanStatus::ok;
    Change c{Kind::models, "users", "users", Action::update, Mode::publish, {}, {{"name", "Users"}}, false};
    c.diff.push_back({DiffOp::Op::replace, "/sql", "select 1", "select 2"});
    p.changes.push_back(c);
    p.diagnostics.add(warning(code::schedule_not_deployed, "schedules differ", {}, "dev:syncs/x"));
    return p;
}

const PlanWritten kWritten{"prod", "main", std::string(40, 'c'), true};

}  // namespace

TEST_CASE("reporter: a written plan in text ends with the commit, in json with a written block") {
    Streams s;
    make_reporter("text", false, s.terminal())->plan(small_plan(), kWritten);
    CHECK(s.out.str().find("~ update prod:models/users") != std::string::npos);
    CHECK(s.out.str().ends_with("Plan: 0 to create, 1 to update.\nCommitted cccccccccccc to prod (main), pushed.\n"));
    CHECK(s.err.str().find("warning[schedule-not-deployed]") != std::string::npos);
    Streams j;
    make_reporter("json", false, j.terminal())->plan(small_plan(), kWritten);
    auto plan = nlohmann::json::parse(j.out.str());
    CHECK(
        plan["written"] ==
        nlohmann::json{{"workspace", "prod"}, {"branch", "main"}, {"commit", std::string(40, 'c')}, {"pushed", true}});
    CHECK(plan["warnings"][0]["code"] == "schedule-not-deployed");
    Streams dry;
    make_reporter("json", false, dry.terminal())->plan(small_plan());
    CHECK_FALSE(nlohmann::json::parse(dry.out.str()).contains("written"));
}

TEST_CASE("reporter: a plan's + and - lines are coloured on a terminal only, never with NO_COLOR") {
    Streams tty;
    make_reporter("text", false, tty.terminal(true))->plan(small_plan());
    CHECK(tty.out.str().find("\x1b[") != std::string::npos);
    Streams no_color;
    Terminal t = no_color.terminal(true);
    t.no_color = true;
    make_reporter("text", false, t)->plan(small_plan());
    CHECK(no_color.out.str().find('\x1b') == std::string::npos);
    CHECK(no_color.err.str().find('\x1b') == std::string::npos);
}

TEST_CASE("reporter: github prints a plan's annotations and summary, and the whole plan to the step summary") {
    Streams s;
    auto summary = std::filesystem::temp_directory_path() / ("ferry-reporter-plan-" + std::to_string(::getpid()));
    std::filesystem::remove(summary);
    make_reporter("github", false, s.terminal(false, summary.string()))->plan(small_plan(), kWritten);
    // SPEC 7: what was written is in the log and in the step summary.
    CHECK(s.out.str() ==
          "::warning title=schedule-not-deployed::[schedule-not-deployed] dev:syncs/x: schedules differ\n"
          "Plan: 0 to create, 1 to update.\n"
          "Committed cccccccccccc to prod (main), pushed.\n");
    std::ifstream in(summary);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str().starts_with("<!-- ferry-plan-digest: " + plan_digest(small_plan()) +
                                 " -->\n### ferry: `dev` → `prod`"));
    CHECK(text.str().find("#### ~ update prod:models/users") != std::string::npos);
    CHECK(text.str().find("**Committed cccccccccccc to prod (main), pushed.**") != std::string::npos);
    std::filesystem::remove(summary);
}

TEST_CASE("annotation_file: relative to the root through the workspace's repository") {
    AnnotationPaths paths{"/home/runner/work/config",
                          "/home/runner/work/config/sub",
                          {{"dev", "/home/runner/work/config"}, {"prod", "/srv/prod-repo"}}};
    Location in_dev{"workspaces/dev/models/x.yaml", 3, 1, "dev"};
    CHECK(annotation_file(in_dev, {}) == "workspaces/dev/models/x.yaml");  // no root: inside the repository
    CHECK(annotation_file(in_dev, paths) == "workspaces/dev/models/x.yaml");
    paths.repositories["dev"] = "/home/runner/work/config/acme-dev";
    CHECK(annotation_file(in_dev, paths) == "acme-dev/workspaces/dev/models/x.yaml");
    // Outside the root, and in a repository with no checkout (a URL's): the path inside it.
    CHECK(annotation_file({"models/y.yaml", 1, 1, "prod"}, paths) == "models/y.yaml");
    CHECK(annotation_file({"models/y.yaml", 1, 1, "remote"}, paths) == "models/y.yaml");
    // ferry.yaml, named relative to the folder ferry runs in.
    CHECK(annotation_file({"../ferry.yaml", 2, 3, ""}, paths) == "ferry.yaml");
    // The path is escaped like any property: a workspace's file name cannot end the command.
    Streams s;
    Diagnostics d;
    d.add(error(code::schema, "bad", {"models/a,b:c.yaml", 1, 1, "dev"}));
    print_github(s.out, d, paths);
    CHECK(s.out.str().starts_with("::error file=acme-dev/models/a%2Cb%3Ac.yaml,line=1,col=1,title=schema::"));
}

TEST_CASE("plan_digest: what the plan would write, and nothing else") {
    Plan a = small_plan();
    Plan b = small_plan();
    CHECK(is_plan_digest(plan_digest(a)));
    CHECK(plan_digest(a) == plan_digest(b));
    b.from.commit = "ffffffffffff";  // another commit, the same resources written
    b.actor = "someone@else.com";
    b.diagnostics = {};
    CHECK(plan_digest(a) == plan_digest(b));
    b.changes[0].after["name"] = "Other";
    CHECK(plan_digest(a) != plan_digest(b));
    b = small_plan();
    b.changes[0].mode = Mode::draft;
    CHECK(plan_digest(a) != plan_digest(b));
    CHECK_FALSE(is_plan_digest("sha256:ABC"));
    CHECK_FALSE(is_plan_digest("sha1:" + std::string(64, '0')));
    CHECK(plan_json(a)["digest"] == plan_digest(a));
    CHECK(plan_markdown(a).starts_with("<!-- ferry-plan-digest: " + plan_digest(a) + " -->\n"));
}

TEST_CASE("grouped: at most 100 of a code, then one that counts the rest") {
    Diagnostics many;
    for (int i = 0; i < 500000; ++i)
        many.add(warning(code::stale_link, "link " + std::to_string(i) + " is stale", {}, "dev"));
    many.add(error(code::schema, "bad", {}, "dev"));
    Diagnostics shown = grouped(many);
    REQUIRE(shown.items.size() == 102);
    CHECK(shown.items[99].message == "link 99 is stale");
    CHECK(shown.items[100].code == code::schema);
    CHECK(shown.items[101].message == "499,900 more stale-link warnings like these are not shown; 500,000 in all.");
    CHECK(grouped(Diagnostics{{error(code::schema, "one", {}, "dev")}}).items.size() == 1);
    Streams s;
    make_reporter("json", false, s.terminal())->result(kReport, many);
    CHECK(s.out.str().size() < 50'000);
}

TEST_CASE("print_plan_json streams the bytes json_text(plan_json()) would print") {
    for (std::size_t changes : {0, 1, 3}) {
        Plan p = small_plan();
        p.changes.clear();
        for (std::size_t i = 0; i < changes; ++i) {
            Change c{Kind::syncs, "s" + std::to_string(i), "s", Action::create, Mode::draft, {}, {}, false};
            c.after = {{"name", "x\ny \xff \"q\""}, {"config", {{"mappings", {{{"from", "a"}, {"to", "b"}}}}}}};
            c.diff.push_back({DiffOp::Op::add, "/config", nullptr, c.after["config"]});
            p.changes.push_back(c);
        }
        p.status = changes ? PlanStatus::ok : PlanStatus::no_changes;
        std::ostringstream streamed;
        print_plan_json(streamed, p, {{"written", {{"commit", "c"}}}});
        nlohmann::json whole = plan_json(p);
        whole["written"] = {{"commit", "c"}};
        CHECK(streamed.str() == json_text(whole));
    }
}

TEST_CASE("reporter: the question goes to standard error but in text, so that json stays one document") {
    for (const char* format : {"text", "json", "markdown"}) {
        Streams s;
        std::istringstream answer("y\n");
        Terminal t = s.terminal(true);
        t.in = &answer;
        auto reporter = make_reporter(format, false, t);
        REQUIRE(reporter->can_confirm());
        CHECK(reporter->confirm("Deploy these changes to prod?"));
        const bool text = std::string(format) == "text";
        CHECK((text ? s.out : s.err).str() == "Deploy these changes to prod? [y/N] ");
        CHECK((text ? s.err : s.out).str().empty());
    }
}

TEST_CASE("reporter: markdown of a result without a summary is its listing, fenced as text") {
    Streams s;
    const Report history{{{"entries", nlohmann::json::array()}}, {"abc  2026-01-01  a@b.c  ``` <b>x</b>"}, ""};
    make_reporter("markdown", false, s.terminal())->result(history, {});
    CHECK(s.out.str() == "````text\nabc  2026-01-01  a@b.c  ``` <b>x</b>\n````\n");
}

TEST_CASE("plan_digest hashes, piece by piece, the compact dump of what the plan writes") {
    Plan p = small_plan();
    p.changes.push_back({Kind::syncs, "s", "s", Action::create, Mode::draft, {}, {{"name", "\xff \"q\""}}, false});
    p.links.push_back({Kind::models, "a", "b"});
    p.drafts_replaced.push_back("prod:models/users");
    nlohmann::json written = {{"to", p.to.workspace},
                              {"changes", nlohmann::json::array()},
                              {"links", nlohmann::json::array()},
                              {"drafts_replaced", p.drafts_replaced}};
    for (const Change& c : p.changes) {
        written["changes"].push_back({{"address", address(p.to.workspace, c.kind, c.id)},
                                      {"action", action_name(c.action)},
                                      {"mode", mode_name(c.mode)},
                                      {"after", c.after}});
    }
    for (const PlannedLink& l : p.links)
        written["links"].push_back({{"kind", kind_name(l.kind)}, {"a", l.source_id}, {"b", l.target_id}});
    const std::string whole = written.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    CHECK(plan_digest(p) == "sha256:" + sha256_hex(whole));
}
