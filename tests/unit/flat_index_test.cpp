// The flat index behind resource and link lookups.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ferry/util/flat_index.hpp"

using namespace ferry;

TEST_CASE("a flat index finds every key it holds, through growth, and nothing else") {
    std::vector<std::string> keys;
    for (int i = 0; i < 5000; ++i)
        keys.push_back("id-" + std::to_string(i * 7919 % 100000));
    FlatIndex<std::uint32_t> index;
    auto key_of = [&](std::uint32_t i) { return std::string_view(keys[i]); };
    for (std::uint32_t i = 0; i < keys.size(); ++i) {
        REQUIRE_FALSE(index.find(keys[i], key_of));
        index.insert(FlatIndex<std::uint32_t>::hash(keys[i]), i);
    }
    for (std::uint32_t i = 0; i < keys.size(); ++i) {
        const std::uint32_t* at = index.find(keys[i], key_of);
        REQUIRE(at);
        CHECK(*at == i);
    }
    CHECK_FALSE(index.find("id-100001", key_of));
    CHECK_FALSE(index.find("", key_of));
    index.clear();
    CHECK_FALSE(index.find(keys[0], key_of));
}
