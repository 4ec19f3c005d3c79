// Text from workspaces renders as text in every format (render/escape.hpp).
#include <doctest/doctest.h>

#include "render/escape.hpp"

using namespace ferry;

TEST_CASE("escape::visible: control and invisible characters are shown, never obeyed") {
    CHECK(escape::visible("plain text: ok") == "plain text: ok");
    CHECK(escape::visible("a\nb\tc\r") == "a\\nb\\tc\\r");
    CHECK(escape::visible("\x1b]8;;https://evil\x07link\x1b[2J") == "\\x1b]8;;https://evil\\x07link\\x1b[2J");
    CHECK(escape::visible(std::string("nul\0!", 5)) == "nul\\x00!");
    CHECK(escape::visible("\xc2\x9b"
                          "31m") == "\\u009b31m");  // C1 CSI
    CHECK(escape::visible("admin\xe2\x80\xae"
                          "gnp.exe") == "admin\\u202egnp.exe");                        // bidi override
    CHECK(escape::visible("caf\xc3\xa9 \xe2\x86\x92") == "caf\xc3\xa9 \xe2\x86\x92");  // other UTF-8 as is
    CHECK(escape::visible("bad \xff byte") == "bad \\xff byte");
}

TEST_CASE("escape::markdown: no HTML, mention, reference, link or emphasis of its own") {
    const std::string hostile = "0\n```\n</details>\n\n**No changes.** @acme/admins see #12 [x](https://e.vil) <!--";
    const std::string out = escape::markdown(hostile);
    CHECK(out.find('\n') == std::string::npos);
    CHECK(out.find("</details>") == std::string::npos);
    CHECK(out.find("<!--") == std::string::npos);
    CHECK(out.find("**No") == std::string::npos);
    CHECK(out.find("@acme") == std::string::npos);
    CHECK(out.find("#12") == std::string::npos);
    CHECK(out.find("\\[x\\](") != std::string::npos);  // brackets escaped: no link
    CHECK(out.find("https://e") == std::string::npos);
    // What is not markup reads as it is.
    CHECK(escape::markdown("alice@acme.com deploys prod:models/users-crm and snake_case_id") ==
          "alice@acme.com deploys prod:models/users-crm and snake_case_id");
}

TEST_CASE("escape::code_span and fence_for: longer than any backtick run inside") {
    CHECK(escape::code_span("models/x.yaml") == "`models/x.yaml`");
    CHECK(escape::code_span("a`b") == "``a`b``");
    CHECK(escape::code_span("``x") == "``` ``x ```");
    CHECK(escape::fence_for("no ticks") == "```");
    CHECK(escape::fence_for("x\n```\ny") == "````");
    CHECK(escape::fence_for("`````") == "``````");
}

TEST_CASE("escape::line: no line reads as a workflow command") {
    CHECK(escape::line("      ::warning file=a::forged") == "      \\x3a:warning file=a::forged");
    CHECK(escape::line("::add-mask::x") == "\\x3a:add-mask::x");
    CHECK(escape::line("select 1 ##[error]x") == "select 1 \\x23#[error]x");
    CHECK(escape::line("a::b") == "a::b");  // only at the start of a line
    CHECK(escape::line("tab\there") == "tab\\there");
}

TEST_CASE("escape::underscores: only an underscore that could start or end emphasis") {
    CHECK(escape::underscores("prod:models/users_v2") == "prod:models/users_v2");
    CHECK(escape::underscores("prod:models/x-_y_-z") == "prod:models/x-\\_y\\_-z");
    CHECK(escape::underscores("_a") == "\\_a");
}
