// Items found by a string key: open addressing in one array of (hash, item)
// slots, at most half full, probed linearly, so that a lookup touches its
// slot and the item it finds. A plan makes hundreds of thousands of lookups
// of resources and links by id; node-based hash maps spent most of that
// time following pointers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry {

// Item is a pointer or a position; `key_of(item)` gives an item's key. Each
// key is indexed once: the caller looks it up before inserting it.
template <class Item>
class FlatIndex {
public:
    static std::size_t hash(std::string_view key) { return std::hash<std::string_view>{}(key) | 1; }

    template <class KeyOf>
    const Item* find(std::string_view key, KeyOf key_of) const {
        return find(key, hash(key), key_of);
    }
    template <class KeyOf>
    const Item* find(std::string_view key, std::size_t h, KeyOf key_of) const {
        if (slots_.empty()) return nullptr;
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            const Slot& slot = slots_[i];
            if (slot.hash == 0) return nullptr;
            if (slot.hash == h && key_of(slot.item) == key) return &slot.item;
        }
    }

    void insert(std::size_t h, Item item) {
        if (2 * (size_ + 1) > slots_.size()) grow();
        place({h, item});
        ++size_;
    }
    void clear() {
        slots_.clear();
        size_ = 0;
    }

private:
    struct Slot {
        std::size_t hash = 0;  // 0: free
        Item item{};
    };
    void place(const Slot& s) {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = s.hash & mask;
        while (slots_[i].hash != 0)
            i = (i + 1) & mask;
        slots_[i] = s;
    }
    void grow() {
        std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(std::max<std::size_t>(16, 2 * slots_.size())));
        for (const Slot& s : old) {
            if (s.hash != 0) place(s);
        }
    }

    std::vector<Slot> slots_;  // a power of two long
    std::size_t size_ = 0;
};

}  // namespace ferry
