#include "ferry/util/did_you_mean.hpp"

#include <algorithm>

namespace ferry {
namespace {

// The edit distance of a and b, or anything >= `bound` once it is sure to
// reach it: most candidates are far, and are left after a row or two.
std::size_t distance(std::string_view a, std::string_view b, std::size_t bound) {
    if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) >= bound) return bound;
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        std::size_t smallest = row[0];
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
            smallest = std::min(smallest, row[j]);
        }
        if (smallest >= bound) return bound;
    }
    return row[b.size()];
}

template <typename Range>
std::string closest(std::string_view word, const Range& candidates) {
    std::string_view best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (std::string_view c : candidates) {
        std::size_t d = distance(word, c, best_distance);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return std::string(best);
}

}  // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    return closest(word, candidates);
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
    return closest(word, candidates);
}

}  // namespace ferry
