#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>

#include "ferry/util/line_diff.hpp"

using namespace ferry;

namespace {

// Applies `edits` to `a`: it must give `b`, and every line of each be used once, in order.
std::vector<std::string_view> apply(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                                    const std::vector<LineEdit>& edits) {
    std::vector<std::string_view> out;
    std::size_t next_a = 0, next_b = 0;
    for (const LineEdit& e : edits) {
        if (e.op != LineEdit::Op::add) CHECK(e.before == next_a++);
        if (e.op != LineEdit::Op::remove) CHECK(e.after == next_b++);
        if (e.op == LineEdit::Op::keep) CHECK(a[e.before] == b[e.after]);
        if (e.op == LineEdit::Op::keep) out.push_back(a[e.before]);
        if (e.op == LineEdit::Op::add) out.push_back(b[e.after]);
    }
    CHECK(next_a == a.size());
    CHECK(next_b == b.size());
    return out;
}

std::size_t cost(const std::vector<LineEdit>& edits) {
    return static_cast<std::size_t>(
        std::ranges::count_if(edits, [](const LineEdit& e) { return e.op != LineEdit::Op::keep; }));
}

// The length of a longest common subsequence, the slow and obvious way.
std::size_t lcs(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
    std::vector<std::vector<std::size_t>> t(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = a.size(); i-- > 0;)
        for (std::size_t j = b.size(); j-- > 0;)
            t[i][j] = a[i] == b[j] ? t[i + 1][j + 1] + 1 : std::max(t[i + 1][j], t[i][j + 1]);
    return t[0][0];
}

}  // namespace

TEST_CASE("split_lines keeps whether the text ended with a newline") {
    CHECK(split_lines("").lines.empty());
    CHECK(split_lines("a").lines == std::vector<std::string_view>{"a"});
    CHECK(!split_lines("a").ends_with_newline);
    CHECK(split_lines("a\n").lines == std::vector<std::string_view>{"a"});
    CHECK(split_lines("a\n").ends_with_newline);
    CHECK(split_lines("a\n\nb\n").lines == std::vector<std::string_view>{"a", "", "b"});
    CHECK(split_lines("\n").lines == std::vector<std::string_view>{""});
}

TEST_CASE("a one-line change in a query is one line removed and one added") {
    std::vector<std::string_view> a = {"select id", "from users", "where active", "group by 1"};
    std::vector<std::string_view> b = {"select id", "from users_v2", "where active", "group by 1"};
    auto edits = diff_lines(a, b);
    CHECK(apply(a, b, edits) == b);
    CHECK(cost(edits) == 2);
}

TEST_CASE("diffs are shortest: they match a longest common subsequence on random inputs") {
    std::mt19937 random(7);
    const std::vector<std::string_view> alphabet = {"a", "b", "c", "d"};
    for (int round = 0; round < 300; ++round) {
        std::vector<std::string_view> a, b;
        for (int i = static_cast<int>(random() % 14); i > 0; --i)
            a.push_back(alphabet[random() % alphabet.size()]);
        for (int i = static_cast<int>(random() % 14); i > 0; --i)
            b.push_back(alphabet[random() % alphabet.size()]);
        auto edits = diff_lines(a, b);
        CHECK(apply(a, b, edits) == b);
        CHECK(cost(edits) == a.size() + b.size() - 2 * lcs(a, b));
    }
}

TEST_CASE("beyond the cost bound the middle is replaced whole, still correct") {
    std::vector<std::string> sa, sb;
    for (int i = 0; i < 3000; ++i) {
        sa.push_back("old " + std::to_string(i));
        sb.push_back("new " + std::to_string(i));
    }
    std::vector<std::string_view> a(sa.begin(), sa.end()), b(sb.begin(), sb.end());
    a.insert(a.begin(), "same start");
    b.insert(b.begin(), "same start");
    auto edits = diff_lines(a, b, 100);
    CHECK(apply(a, b, edits) == b);
    CHECK(edits.front().op == LineEdit::Op::keep);
    CHECK(cost(edits) == 6000);
}

TEST_CASE("hunks carry three lines of context and merge when close") {
    std::vector<std::string> s;
    for (int i = 0; i < 30; ++i)
        s.push_back("line " + std::to_string(i));
    std::vector<std::string_view> a(s.begin(), s.end()), b = a;
    b[5] = "changed 5";
    b[9] = "changed 9";    // 3 kept lines between: one hunk
    b[25] = "changed 25";  // far away: a second hunk
    auto h = hunks(diff_lines(a, b));
    REQUIRE(h.size() == 2);
    CHECK(h[0].before_start == 2);
    CHECK(h[0].before_count == 11);  // 2..12
    CHECK(h[1].before_start == 22);
    CHECK(h[1].before_count == 7);  // 22..28
    CHECK(h[1].edits.front().op == LineEdit::Op::keep);
    CHECK(hunks(diff_lines(a, a)).empty());
}
