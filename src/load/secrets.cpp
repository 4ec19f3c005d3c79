#include "secrets.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "ferry/util/url.hpp"

namespace ferry::secrets {
namespace {

bool alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool upper_or_digit(char c) {
    return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
}
bool base64url(char c) {
    return alnum(c) || c == '-' || c == '_';
}

// Whether `value` holds `prefix` (not inside a longer word) followed by at
// least `min` characters that `body` accepts (and at most `max`, when the
// shape has a fixed length: then the next character must not be one).
bool token_after(std::string_view value, std::string_view prefix, bool (*body)(char), std::size_t min,
                 std::size_t max = std::string_view::npos) {
    for (std::size_t at = value.find(prefix); at != std::string_view::npos; at = value.find(prefix, at + 1)) {
        if (at > 0 && alnum(value[at - 1])) continue;
        std::size_t n = 0;
        const std::size_t start = at + prefix.size();
        while (start + n < value.size() && body(value[start + n]) && n <= max)
            ++n;
        if (n >= min && (max == std::string_view::npos || n == max)) return true;
    }
    return false;
}

bool url_with_password(std::string_view value) {
    if (value.find("://") == std::string_view::npos) return false;
    const UrlCredentials c = url_credentials(value);
    if (!c.present || !c.has_password || c.password.empty()) return false;
    // A placeholder filled in elsewhere is no literal: ${PW}, {{ pw }}, $PW, <password>.
    const std::string_view p = c.password;
    return !(p.starts_with("$") || p.starts_with("{{") || p.starts_with("<") || p.starts_with("%"));
}

bool pem_private_key(std::string_view value) {
    const auto begin = value.find("-----BEGIN ");
    return begin != std::string_view::npos && value.find("PRIVATE KEY-----", begin) != std::string_view::npos;
}

bool aws_access_key_id(std::string_view value) {
    return token_after(value, "AKIA", upper_or_digit, 16, 16) || token_after(value, "ASIA", upper_or_digit, 16, 16);
}

bool github_token(std::string_view value) {
    for (std::string_view prefix : {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}) {
        if (token_after(value, prefix, alnum, 36)) return true;
    }
    return token_after(value, "github_pat_", base64url, 22);
}

bool slack_token(std::string_view value) {
    for (std::string_view prefix : {"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-"}) {
        if (token_after(value, prefix, base64url, 10)) return true;
    }
    return false;
}

bool stripe_live_key(std::string_view value) {
    return token_after(value, "sk_live_", alnum, 16) || token_after(value, "rk_live_", alnum, 16);
}

bool google_api_key(std::string_view value) {
    return token_after(value, "AIza", base64url, 35, 35);
}

// header.payload.signature: base64url segments, the first two JSON objects
// ("eyJ" is how `{"` starts in base64).
bool jwt(std::string_view value) {
    for (std::size_t at = value.find("eyJ"); at != std::string_view::npos; at = value.find("eyJ", at + 1)) {
        if (at > 0 && base64url(value[at - 1])) continue;
        std::size_t i = at;
        std::size_t lengths[3] = {0, 0, 0};
        int part = 0;
        for (; part < 3; ++part) {
            const std::size_t start = i;
            while (i < value.size() && base64url(value[i]))
                ++i;
            lengths[part] = i - start;
            if (part == 1 && value.compare(start, 3, "eyJ") != 0) break;
            if (part < 2 && (i >= value.size() || value[i] != '.')) break;
            ++i;
        }
        if (part == 3 && lengths[0] >= 10 && lengths[1] >= 10 && lengths[2] >= 16) return true;
    }
    return false;
}

constexpr std::array<ValueRule, 8> kValueRules = {{
    {"a password in a URL", url_with_password},
    {"a PEM private key", pem_private_key},
    {"an AWS access key id", aws_access_key_id},
    {"a GitHub token", github_token},
    {"a Slack token", slack_token},
    {"a Stripe live key", stripe_live_key},
    {"a Google API key", google_api_key},
    {"a JSON Web Token", jwt},
}};

}  // namespace

std::span<const ValueRule> value_rules() {
    return kValueRules;
}

namespace {

// Whether a token of any rule above could start in `value`: each begins
// with one of these pairs (`://`, `-----BEGIN`, AKIA/ASIA, gh?_/github_,
// xox?-, sk_/rk_live_, AIza, eyJ). One pass, where the rules make about
// twenty: most strings (names, queries) hold none.
bool may_match(std::string_view value) {
    for (std::size_t i = 0; i + 1 < value.size(); ++i) {
        const char next = value[i + 1];
        switch (value[i]) {
            case ':':
                if (next == '/') return true;
                break;
            case '-':
                if (next == '-') return true;
                break;
            case 'A':
                if (next == 'K' || next == 'S' || next == 'I') return true;
                break;
            case 'g':
                if (next == 'h' || next == 'i') return true;
                break;
            case 'x':
                if (next == 'o') return true;
                break;
            case 's':
            case 'r':
                if (next == 'k') return true;
                break;
            case 'e':
                if (next == 'y') return true;
                break;
            default:
                break;
        }
    }
    return false;
}

}  // namespace

const ValueRule* match_value(std::string_view value) {
    if (!may_match(value)) return nullptr;
    for (const ValueRule& rule : kValueRules) {
        if (rule.matches(value)) return &rule;
    }
    return nullptr;
}

bool names_a_secret(std::string_view key) {
    std::string lower(key);
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
    static constexpr std::array<std::string_view, 8> words = {"password", "passwd",     "pwd",         "secret",
                                                              "token",    "credential", "private_key", "api_key"};
    return std::ranges::any_of(words, [&](std::string_view w) { return lower.find(w) != std::string::npos; });
}

}  // namespace ferry::secrets
