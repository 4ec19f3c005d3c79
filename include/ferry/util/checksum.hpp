// A fast checksum of bytes: 64-bit words mixed by multiplication. It tells
// a damaged file from a good one (it guards against accidents, not
// adversaries: what it guards is also checked for structure before use).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace ferry {

class Checksum {
public:
    void add(std::string_view bytes) {
        size_ += bytes.size();
        // Whole words straight from the input once no partial word waits.
        if (pending_ == 0) {
            while (bytes.size() >= 8) {
                std::uint64_t w;
                std::memcpy(&w, bytes.data(), 8);
                mix(w);
                bytes.remove_prefix(8);
            }
        }
        while (!bytes.empty()) {
            std::size_t n = std::min(bytes.size(), 8 - pending_);
            std::memcpy(word_ + pending_, bytes.data(), n);
            pending_ += n;
            bytes.remove_prefix(n);
            if (pending_ == 8) {
                std::uint64_t w;
                std::memcpy(&w, word_, 8);
                mix(w);
                pending_ = 0;
            }
        }
    }
    std::uint64_t value() const {
        Checksum last = *this;
        std::uint64_t w = 0;
        std::memcpy(&w, last.word_, last.pending_);
        last.mix(w ^ last.size_);
        return last.h_ ^ (last.h_ >> 32);
    }

private:
    void mix(std::uint64_t w) {
        h_ = (h_ ^ w) * 0x9E3779B97F4A7C15ull;
        h_ ^= h_ >> 29;
    }
    std::uint64_t h_ = 0x243F6A8885A308D3ull;
    std::uint64_t size_ = 0;
    char word_[8] = {};
    std::size_t pending_ = 0;
};

inline std::uint64_t checksum(std::string_view bytes) {
    Checksum c;
    c.add(bytes);
    return c.value();
}

}  // namespace ferry
