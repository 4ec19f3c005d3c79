// The YAML loader on arbitrary bytes: never a crash, a hang or a leak, and
// every accepted document can be walked whole.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ferry/yaml/yaml.hpp"

namespace {
std::size_t walk(ferry::yaml::Node n) {
    std::size_t count = 1;
    if (n.is_map()) {
        for (std::size_t i = 0; i < n.size(); ++i)
            count += walk(n.key(i)) + walk(n.value(i));
    } else if (n.is_seq()) {
        for (std::size_t i = 0; i < n.size(); ++i)
            count += walk(n.item(i));
    } else {
        count += n.text().size() > 0;
    }
    return count;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto doc = ferry::yaml::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    if (doc) walk(doc->root());
    return 0;
}
