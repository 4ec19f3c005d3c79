// The fast YAML reader against libyaml on arbitrary bytes: every document
// the subset reader accepts must be the very document libyaml's events
// build (same nodes, order, types, text and marks). A difference aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "yaml/parsers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    ferry::yaml::Builder builder;
    ferry::yaml::Limits limits;
    auto fast = ferry::yaml::detail::parse_block_subset(text, limits, builder);
    if (!fast) return 0;
    auto full = ferry::yaml::detail::parse_full(text, limits, builder);
    if (!full) std::abort();  // libyaml refuses what the subset accepted
    std::string a, b;
    fast->append_image(a);
    full->append_image(b);
    if (a != b) std::abort();
    return 0;
}
