#include "ferry/model/facts.hpp"

#include <bit>
#include <cmath>
#include <cstring>

#include "ferry/yaml/value.hpp"

namespace ferry {
namespace {

// Two lanes of 64 bits. Each word goes through MurmurHash3's finalizer, a
// bijection with full avalanche, in each lane with its own offset, so two
// inputs that differ in one word never collide in either lane.
class Hasher {
public:
    explicit Hasher(std::uint64_t tag) { word(tag); }

    Hasher& word(std::uint64_t w) {
        a_ = mix(a_ ^ w);
        b_ = mix(std::rotl(b_, 23) ^ (w + 0x632BE59BD9B4E019ull));
        return *this;
    }
    Hasher& hash(const ValueHash& h) { return word(h.a).word(h.b); }
    Hasher& bytes(std::string_view s) {
        word(s.size());
        while (s.size() >= 8) {
            std::uint64_t w;
            std::memcpy(&w, s.data(), 8);
            word(w);
            s.remove_prefix(8);
        }
        if (!s.empty()) {
            std::uint64_t w = 0;
            std::memcpy(&w, s.data(), s.size());
            word(w);
        }
        return *this;
    }
    ValueHash done() const { return {mix(a_ + 0x9E3779B97F4A7C15ull), mix(b_ + 0xD6E8FEB86659FD93ull)}; }

private:
    static std::uint64_t mix(std::uint64_t x) {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDull;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53ull;
        x ^= x >> 33;
        return x;
    }
    std::uint64_t a_ = 0x243F6A8885A308D3ull;
    std::uint64_t b_ = 0x13198A2E03707344ull;
};

// One tag per kind of value, so that "1" and 1, or [] and {}, differ.
enum Tag : std::uint64_t { kNull = 1, kBool, kInteger, kFloat, kString, kSeq, kMap, kEntry };

// Maps compare by key whatever their order: an entry hashes its key and
// value together, and a map sums its entries' hashes.
class MapHasher {
public:
    void add(std::string_view key, const ValueHash& value) {
        ValueHash e = Hasher(kEntry).bytes(key).hash(value).done();
        sum_.a += e.a;
        sum_.b += e.b;
        ++count_;
    }
    ValueHash done() const { return Hasher(kMap).word(count_).hash(sum_).done(); }

private:
    ValueHash sum_;
    std::uint64_t count_ = 0;
};

// Numbers compare as JSON does (1 == 1.0): integral values hash as
// integers. Beyond 2^53 a double no longer holds every integer, and JSON
// compares an integer with a double by rounding: no hash stands for that.
std::optional<ValueHash> hash_number(const nlohmann::json& n) {
    constexpr std::int64_t kExact = std::int64_t{1} << 53;
    auto integer = [](std::int64_t i) { return Hasher(kInteger).word(static_cast<std::uint64_t>(i)).done(); };
    if (n.is_number_unsigned()) {
        auto u = n.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(kExact)) return std::nullopt;
        return integer(static_cast<std::int64_t>(u));
    }
    if (n.is_number_integer()) {
        auto i = n.get<std::int64_t>();
        if (i > kExact || i < -kExact) return std::nullopt;
        return integer(i);
    }
    double d = n.get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    if (d == std::trunc(d)) {
        if (std::fabs(d) > static_cast<double>(kExact)) return std::nullopt;
        return integer(static_cast<std::int64_t>(d));
    }
    return Hasher(kFloat).word(std::bit_cast<std::uint64_t>(d)).done();
}

}  // namespace

std::optional<ValueHash> hash_value(yaml::Node n) {
    switch (n.type()) {
        case yaml::Type::null:
            return Hasher(kNull).done();
        case yaml::Type::boolean:
            return Hasher(kBool).word(n.as_bool()).done();
        case yaml::Type::integer:
        case yaml::Type::number:
            return hash_number(to_json(n));
        case yaml::Type::string:
            return Hasher(kString).bytes(n.text()).done();
        case yaml::Type::seq: {
            Hasher h(kSeq);
            h.word(n.size());
            for (std::size_t i = 0; i < n.size(); ++i) {
                auto item = hash_value(n.item(i));
                if (!item) return std::nullopt;
                h.hash(*item);
            }
            return h.done();
        }
        case yaml::Type::map: {
            MapHasher m;
            for (std::size_t i = 0; i < n.size(); ++i) {
                auto value = hash_value(n.value(i));
                if (!value) return std::nullopt;
                m.add(n.key(i).text(), *value);
            }
            return m.done();
        }
    }
    return std::nullopt;
}

std::optional<ValueHash> hash_value(const nlohmann::json& j) {
    switch (j.type()) {
        case nlohmann::json::value_t::null:
            return Hasher(kNull).done();
        case nlohmann::json::value_t::boolean:
            return Hasher(kBool).word(j.get<bool>()).done();
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
        case nlohmann::json::value_t::number_float:
            return hash_number(j);
        case nlohmann::json::value_t::string:
            return Hasher(kString).bytes(j.get_ref<const std::string&>()).done();
        case nlohmann::json::value_t::array: {
            Hasher h(kSeq);
            h.word(j.size());
            for (const auto& item : j) {
                auto ih = hash_value(item);
                if (!ih) return std::nullopt;
                h.hash(*ih);
            }
            return h.done();
        }
        case nlohmann::json::value_t::object: {
            MapHasher m;
            for (const auto& [key, value] : j.items()) {
                auto vh = hash_value(value);
                if (!vh) return std::nullopt;
                m.add(key, *vh);
            }
            return m.done();
        }
        default:
            return std::nullopt;  // binary and discarded values: never in a plan
    }
}

std::optional<OwnedKey> owned_key(std::string_view key) {
    for (std::size_t i = 0; i < kOwnedKeys.size(); ++i) {
        if (kOwnedKeys[i] == key) return static_cast<OwnedKey>(i);
    }
    return std::nullopt;
}

Fingerprint fingerprint_of(yaml::Node root) {
    Fingerprint f;
    if (!root.is_map()) return f;
    MapHasher rest;
    bool exact = true;
    for (std::size_t i = 0; i < root.size(); ++i) {
        std::string_view key = root.key(i).text();
        auto value = hash_value(root.value(i));
        exact = exact && value;
        // Which owned keys a document has is known whatever its values.
        if (auto k = owned_key(key)) {
            f.present |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(*k));
            if (value) f.owned[static_cast<std::size_t>(*k)] = *value;
        } else if (value) {
            rest.add(key, *value);
        }
    }
    f.rest = rest.done();
    f.exact = exact;
    return f;
}

std::optional<std::string_view> ResourceFacts::field(std::string_view name) const {
    if (name == "type") return type;
    if (name == "source") return source;
    if (name == "model") return model;
    if (name == "destination") return destination;
    return std::nullopt;
}

ResourceFacts facts_of(yaml::Node root, bool plaintext_secret) {
    ResourceFacts f;
    f.is_map = root.is_map();
    auto text = [&](std::string_view name) {
        yaml::Node n = root.get(name);
        return n.is_string() ? std::string(n.text()) : std::string();
    };
    f.type = text("type");
    f.source = text("source");
    f.model = text("model");
    f.destination = text("destination");
    if (yaml::Node schedule = root.get("schedule"); schedule.is_map()) {
        f.schedule_is_map = true;
        if (yaml::Node type = schedule.get("type"); type.is_string()) f.schedule_type = type.text();
    }
    if (yaml::Node alerts = root.get("alerts"); alerts.is_seq()) {
        for (std::size_t i = 0; i < alerts.size(); ++i) {
            if (alerts.item(i).is_string()) f.alerts.emplace_back(alerts.item(i).text());
        }
    }
    f.plaintext_secret = plaintext_secret;
    f.fingerprint = fingerprint_of(root);
    return f;
}

}  // namespace ferry
