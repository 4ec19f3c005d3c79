#include "ferry/util/url.hpp"

namespace ferry {
namespace {

bool is_http(std::string_view prefix) {
    return prefix == "http://" || prefix == "https://";
}

}  // namespace

UrlCredentials url_credentials(std::string_view url) {
    UrlCredentials c;
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return c;
    const std::size_t start = scheme + 3;
    const auto at = url.rfind('@');
    if (at == std::string_view::npos || at < start) return c;
    const std::string_view part = url.substr(start, at - start);
    const auto slash = part.find('/');
    const auto colon = part.find(':');
    if (slash != std::string_view::npos && (colon == std::string_view::npos || colon > slash)) return c;
    c.present = true;
    c.prefix = url.substr(0, start);
    c.user = part.substr(0, colon);
    c.has_password = colon != std::string_view::npos;
    if (c.has_password) c.password = part.substr(colon + 1);
    c.rest = url.substr(at + 1);
    return c;
}

std::string shown_url(std::string_view url) {
    const UrlCredentials c = url_credentials(url);
    if (!c.present) return std::string(url);
    std::string user = !c.has_password && is_http(c.prefix) && !c.user.empty() ? "***" : std::string(c.user);
    return std::string(c.prefix) + user + (user.empty() ? "" : "@") + std::string(c.rest);
}

std::vector<std::string> url_secrets(std::string_view url) {
    const UrlCredentials c = url_credentials(url);
    if (!c.present) return {};
    if (c.has_password) return c.password.empty() ? std::vector<std::string>{} : std::vector{std::string(c.password)};
    if (is_http(c.prefix) && !c.user.empty()) return {std::string(c.user)};
    return {};
}

std::string without_url_secrets(std::string text, std::string_view url) {
    for (const std::string& secret : url_secrets(url)) {
        for (std::size_t at; (at = text.find(secret)) != std::string::npos;)
            text.replace(at, secret.size(), "***");
    }
    return text;
}

}  // namespace ferry
