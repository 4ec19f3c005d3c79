// The loaders' thread pool: every index once, a worker's exception at the
// caller, and the bound on workers.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ferry/util/parallel.hpp"

using namespace ferry;

TEST_CASE("util::parallel_for runs every index once and throws again what a worker threw") {
    std::vector<std::atomic<int>> seen(1000);
    util::parallel_for(seen.size(), [&](std::size_t i) { ++seen[i]; });
    CHECK(std::ranges::all_of(seen, [](const std::atomic<int>& n) { return n.load() == 1; }));

    // A throw on a worker thread reaches the caller instead of ending the process.
    CHECK_THROWS_AS(util::parallel_for(1000,
                                       [](std::size_t i) {
                                           if (i == 500) throw std::runtime_error("worker failed");
                                       }),
                    std::runtime_error);
    // At most two workers when asked for two.
    std::atomic<int> running{0}, most{0};
    util::parallel_for(
        64,
        [&](std::size_t) {
            int now = ++running;
            for (int seen_most = most.load(); now > seen_most && !most.compare_exchange_weak(seen_most, now);) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            --running;
        },
        2);
    CHECK(most.load() <= 2);
}
