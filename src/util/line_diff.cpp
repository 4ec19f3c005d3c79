#include "ferry/util/line_diff.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>

namespace ferry {

Lines split_lines(std::string_view text) {
    Lines out;
    out.ends_with_newline = !text.empty() && text.back() == '\n';
    if (out.ends_with_newline) text.remove_suffix(1);
    if (text.empty() && !out.ends_with_newline) return out;
    for (std::size_t start = 0;;) {
        std::size_t end = text.find('\n', start);
        out.lines.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}

namespace {

// The middle snake of Myers' linear-space refinement: a diagonal run
// (x, y) -> (u, v) that lies on a shortest edit path, and that path's cost.
struct Snake {
    long x, y, u, v, cost;
};

class Differ {
public:
    Differ(std::vector<int> a, std::vector<int> b) : a_(std::move(a)), b_(std::move(b)) {
        std::size_t size = 2 * (a_.size() + b_.size()) + 3;
        forward_.resize(size);
        backward_.resize(size);
    }

    // False when the cost exceeds `max_cost`; `out` is then untouched.
    bool run(std::vector<LineEdit>& out, long max_cost) {
        const long a1 = static_cast<long>(a_.size()), b1 = static_cast<long>(b_.size());
        if (a1 == 0 || b1 == 0) {
            solve(0, a1, 0, b1, out);
            return true;
        }
        // The caller took away the common start and end, so this first
        // middle snake, searched within the bound, is the one solve() would
        // search for again: it is handed down.
        auto snake = middle(0, a1, 0, b1, (max_cost + 1) / 2 + 1);
        if (!snake || snake->cost > max_cost) return false;
        split(0, a1, 0, b1, *snake, out);
        return true;
    }

private:
    // The middle snake of a[a0, a1) against b[b0, b1), both not empty, or
    // nothing when it needs more than `limit` steps each way.
    std::optional<Snake> middle(long a0, long a1, long b0, long b1, long limit) {
        const long n = a1 - a0, m = b1 - b0, delta = n - m;
        const long offset = n + m + 1;
        const bool odd = delta % 2 != 0;
        long* vf = forward_.data() + offset;
        long* vb = backward_.data() + offset;
        vf[1] = 0;
        vb[1] = 0;
        const long half = (n + m + 1) / 2;
        for (long d = 0; d <= half && d <= limit; ++d) {
            for (long k = -d; k <= d; k += 2) {
                long x = (k == -d || (k != d && vf[k - 1] < vf[k + 1])) ? vf[k + 1] : vf[k - 1] + 1;
                long y = x - k;
                const long x0 = x, y0 = y;
                while (x < n && y < m && a_[a0 + x] == b_[b0 + y]) {
                    ++x;
                    ++y;
                }
                vf[k] = x;
                const long back = delta - k;  // the same diagonal, seen from the end
                if (odd && back >= -(d - 1) && back <= d - 1 && vf[k] + vb[back] >= n) {
                    return Snake{a0 + x0, b0 + y0, a0 + x, b0 + y, 2 * d - 1};
                }
            }
            for (long k = -d; k <= d; k += 2) {
                long x = (k == -d || (k != d && vb[k - 1] < vb[k + 1])) ? vb[k + 1] : vb[k - 1] + 1;
                long y = x - k;
                const long x0 = x, y0 = y;
                while (x < n && y < m && a_[a1 - x - 1] == b_[b1 - y - 1]) {
                    ++x;
                    ++y;
                }
                vb[k] = x;
                const long front = delta - k;
                if (!odd && front >= -d && front <= d && vf[front] + vb[k] >= n) {
                    return Snake{a1 - x, b1 - y, a1 - x0, b1 - y0, 2 * d};
                }
            }
        }
        return std::nullopt;
    }

    void solve(long a0, long a1, long b0, long b1, std::vector<LineEdit>& out) {
        // The common start and end need no search.
        while (a0 < a1 && b0 < b1 && a_[a0] == b_[b0]) {
            out.push_back({LineEdit::Op::keep, static_cast<std::size_t>(a0++), static_cast<std::size_t>(b0++)});
        }
        long tail = 0;
        while (a1 - tail > a0 && b1 - tail > b0 && a_[a1 - tail - 1] == b_[b1 - tail - 1])
            ++tail;
        a1 -= tail;
        b1 -= tail;
        if (a0 == a1) {
            for (long j = b0; j < b1; ++j)
                out.push_back({LineEdit::Op::add, static_cast<std::size_t>(a0), static_cast<std::size_t>(j)});
        } else if (b0 == b1) {
            for (long i = a0; i < a1; ++i)
                out.push_back({LineEdit::Op::remove, static_cast<std::size_t>(i), static_cast<std::size_t>(b0)});
        } else {
            split(a0, a1, b0, b1, *middle(a0, a1, b0, b1, std::numeric_limits<long>::max()), out);
        }
        for (long t = 0; t < tail; ++t) {
            out.push_back({LineEdit::Op::keep, static_cast<std::size_t>(a1 + t), static_cast<std::size_t>(b1 + t)});
        }
    }

    // Both sides of the middle snake `s`, and the snake's kept lines between.
    void split(long a0, long a1, long b0, long b1, const Snake& s, std::vector<LineEdit>& out) {
        solve(a0, s.x, b0, s.y, out);
        for (long i = s.x, j = s.y; i < s.u; ++i, ++j)
            out.push_back({LineEdit::Op::keep, static_cast<std::size_t>(i), static_cast<std::size_t>(j)});
        solve(s.u, a1, s.v, b1, out);
    }

    std::vector<int> a_, b_;
    std::vector<long> forward_, backward_;
};

}  // namespace

std::vector<LineEdit> diff_lines(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                                 std::size_t max_cost) {
    // Lines compared as small integers: each distinct line once.
    std::unordered_map<std::string_view, int> ids;
    auto intern = [&](const std::vector<std::string_view>& lines) {
        std::vector<int> out;
        out.reserve(lines.size());
        for (std::string_view line : lines)
            out.push_back(ids.try_emplace(line, static_cast<int>(ids.size())).first->second);
        return out;
    };
    std::vector<int> ia = intern(a), ib = intern(b);

    std::size_t head = 0;
    while (head < a.size() && head < b.size() && ia[head] == ib[head])
        ++head;
    std::size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head && ia[a.size() - tail - 1] == ib[b.size() - tail - 1])
        ++tail;

    std::vector<LineEdit> out;
    out.reserve(a.size() + b.size());
    for (std::size_t i = 0; i < head; ++i)
        out.push_back({LineEdit::Op::keep, i, i});
    std::vector<int> ma(ia.begin() + head, ia.end() - tail), mb(ib.begin() + head, ib.end() - tail);
    std::vector<LineEdit> middle;
    Differ differ(std::move(ma), std::move(mb));
    if (!differ.run(middle, static_cast<long>(max_cost))) {
        middle.clear();
        for (std::size_t i = 0; i < a.size() - head - tail; ++i)
            middle.push_back({LineEdit::Op::remove, i, 0});
        for (std::size_t j = 0; j < b.size() - head - tail; ++j)
            middle.push_back({LineEdit::Op::add, a.size() - head - tail, j});
    }
    for (LineEdit e : middle) {
        e.before += head;
        e.after += head;
        out.push_back(e);
    }
    for (std::size_t t = tail; t > 0; --t)
        out.push_back({LineEdit::Op::keep, a.size() - t, b.size() - t});
    return out;
}

std::vector<Hunk> hunks(const std::vector<LineEdit>& edits, std::size_t context) {
    std::vector<Hunk> out;
    std::size_t i = 0;
    const std::size_t n = edits.size();
    while (i < n) {
        while (i < n && edits[i].op == LineEdit::Op::keep)
            ++i;
        if (i == n) break;
        // Open with up to `context` kept lines before the first change, then
        // take changes until a run of kept lines is long enough to separate
        // two hunks (more than twice the context).
        std::size_t start = i >= context ? i - context : 0;
        std::size_t end = i;
        while (end < n) {
            std::size_t run = end;
            while (run < n && edits[run].op == LineEdit::Op::keep)
                ++run;
            if (run == n || run - end > 2 * context) {
                end = std::min(run, end + context);
                break;
            }
            end = run;
            while (end < n && edits[end].op != LineEdit::Op::keep)
                ++end;
        }
        Hunk h;
        h.edits.assign(edits.begin() + static_cast<long>(start), edits.begin() + static_cast<long>(end));
        h.before_start = edits[start].before;
        h.after_start = edits[start].after;
        h.before_count = static_cast<std::size_t>(
            std::ranges::count_if(h.edits, [](const LineEdit& e) { return e.op != LineEdit::Op::add; }));
        h.after_count = static_cast<std::size_t>(
            std::ranges::count_if(h.edits, [](const LineEdit& e) { return e.op != LineEdit::Op::remove; }));
        out.push_back(std::move(h));
        i = end;
    }
    return out;
}

}  // namespace ferry
