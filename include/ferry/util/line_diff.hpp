// Line diffs: the shortest edit script between two lists of lines (Myers'
// O(ND) algorithm in linear space, as git and GNU diff use), grouped into
// hunks with context, the way a reviewer reads a change to a SQL query.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

// `text` cut at '\n'. A final newline ends the last line and opens no new
// one; `ends_with_newline` says whether there was one.
struct Lines {
    std::vector<std::string_view> lines;
    bool ends_with_newline = false;
};
Lines split_lines(std::string_view text);

struct LineEdit {
    enum class Op { keep, remove, add } op;
    std::size_t before;  // index in the old lines (keep, remove)
    std::size_t after;   // index in the new lines (keep, add)
};

// A shortest edit script from `a` to `b`: every line of `a` kept or
// removed, every line of `b` kept or added, in order. Cost is bounded: when
// the two differ in more than `max_cost` lines beyond their common start
// and end, the middle is given as removed and added whole rather than
// searched further (a 10,000-line query rewritten from scratch still
// renders at once).
std::vector<LineEdit> diff_lines(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                                 std::size_t max_cost = 4000);

// One hunk: a run of edits with up to `context` kept lines either side.
struct Hunk {
    std::size_t before_start, before_count;  // 0-based start in a, lines of a it spans
    std::size_t after_start, after_count;
    std::vector<LineEdit> edits;
};
std::vector<Hunk> hunks(const std::vector<LineEdit>& edits, std::size_t context = 3);

}  // namespace ferry
