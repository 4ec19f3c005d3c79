// What the checks and the planner read from a resource without its document.
//
// A workspace of tens of thousands of resources would cost several times its
// YAML in memory if every document were kept, and a plan after a small change
// would still walk every one of them. Instead a load derives these facts
// from each document once (the load cache keeps them, keyed by blob), and
// drops the document: a resource parses its blob again only when a plan
// changes it or a diagnostic points into it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/yaml/yaml.hpp"

namespace ferry {

// A 128-bit hash of a value, built so that values same_value() calls equal
// hash alike (map order aside, 1 and 1.0 alike): equal hashes stand for
// equal values, as git's object ids stand for equal blobs.
struct ValueHash {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    bool operator==(const ValueHash&) const = default;
};

// nullopt when the hash cannot stand for the value: a number beyond what a
// double holds exactly, which only the values themselves compare rightly.
std::optional<ValueHash> hash_value(yaml::Node node);
std::optional<ValueHash> hash_value(const nlohmann::json& value);

// SPEC 3.2: the top-level keys a deployment sets or drops (a counterpart's
// id, a field the target owns, a draft's block). Each is hashed apart from
// the rest of the document, so that a plan can compare a rewritten document
// with the target's from hashes alone.
enum class OwnedKey : std::uint8_t { source, model, destination, enabled, alerts, schedule, draft };
inline constexpr std::array<std::string_view, 7> kOwnedKeys = {"source", "model",    "destination", "enabled",
                                                               "alerts", "schedule", "draft"};
std::optional<OwnedKey> owned_key(std::string_view key);

struct Fingerprint {
    // False when a hash could not stand for its value (see hash_value), or
    // the document is not a mapping: compare the documents then.
    bool exact = false;
    ValueHash rest;            // the root mapping without the owned keys
    std::uint8_t present = 0;  // bit per OwnedKey, whether or not exact
    std::array<ValueHash, kOwnedKeys.size()> owned{};

    bool has(OwnedKey k) const { return present & (1u << static_cast<unsigned>(k)); }
    const ValueHash& of(OwnedKey k) const { return owned[static_cast<std::size_t>(k)]; }
};
Fingerprint fingerprint_of(yaml::Node root);

struct ResourceFacts {
    bool is_map = false;  // the document is a mapping (else the schema refused it)
    // Top-level string fields, empty when absent or not a string.
    std::string type;
    std::string source;
    std::string model;
    std::string destination;
    // schedule.type as the planner reads it: "manual" unless the schedule is
    // a mapping whose type is a string.
    std::string schedule_type = "manual";
    bool schedule_is_map = false;
    std::vector<std::string> alerts;  // the string items of `alerts`, when a sequence
    bool plaintext_secret = false;    // a source's or destination's secret written out
    // A sync's: the type of its destination (in the same tree) whose
    // connector schema its `config` was checked against, or empty when no
    // schema applied (SPEC 2.7). The check depends on a file other than the
    // sync's own, so facts kept for a sync hold only while this matches.
    std::string connector_type;
    Fingerprint fingerprint;

    // A top-level string field among those above, or nullopt for another name.
    std::optional<std::string_view> field(std::string_view name) const;
};

ResourceFacts facts_of(yaml::Node root, bool plaintext_secret);

}  // namespace ferry
