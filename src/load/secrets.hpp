// SPEC 2.4: what a literal secret looks like, by its key or by its value.
// One table, each rule with its name and what it catches; checks.cpp applies
// it to every resource, and never prints what it matched. Private to load/.
#pragma once

#include <span>
#include <string_view>

namespace ferry::secrets {

// A rule on a string value, whatever its key.
struct ValueRule {
    std::string_view name;  // for tests and messages: "a password in a URL"
    bool (*matches)(std::string_view value);
};

// Every value rule: a URL with a password, a PEM private key block, and the
// well-known token shapes (AWS access key ids, GitHub, Slack, Stripe live
// keys, Google API keys, JWTs).
std::span<const ValueRule> value_rules();

// The first rule `value` matches, or nullptr.
const ValueRule* match_value(std::string_view value);

// A key whose value must be a secret reference `{ secret: NAME }` in a
// source or destination: it names a password, secret, token, credential,
// private key or API key.
bool names_a_secret(std::string_view key);

}  // namespace ferry::secrets
