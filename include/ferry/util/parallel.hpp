// Work spread over threads, for the loaders and the planner.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry::util {

// Runs fn(i) for i in [0, n) on up to `max_workers` threads (every core by
// default). What fn throws (out of memory, say) stops the work and is thrown
// again on the calling thread, for the command line's one catch, instead of
// ending the process on a worker's.
template <class Fn>
void parallel_for(std::size_t n, Fn fn, std::size_t max_workers = 0) {
    std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    std::size_t workers = std::min({max_workers ? max_workers : cores, cores, n});
    if (workers <= 1) {
        for (std::size_t i = 0; i < n; ++i)
            fn(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::exception_ptr thrown;
    {
        std::vector<std::jthread> threads;
        for (std::size_t w = 0; w < workers; ++w) {
            threads.emplace_back([&] {
                try {
                    for (std::size_t i = next++; i < n; i = next++)
                        fn(i);
                } catch (...) {
                    std::lock_guard lock(mutex);
                    if (!thrown) thrown = std::current_exception();
                    next = n;
                }
            });
        }
    }
    if (thrown) std::rethrow_exception(thrown);
}

}  // namespace ferry::util
