// The credentials a repository URL may carry, `scheme://user:password@host/...`,
// found in one place so that nothing shows them: not an error message, not
// a progress line, not the name of a clone's folder.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry {

struct UrlCredentials {
    bool present = false;       // the URL has a user part
    std::string_view prefix;    // `scheme://`
    std::string_view user;      // before the first ':' of the user part
    std::string_view password;  // after it; empty when there is none
    bool has_password = false;
    std::string_view rest;  // `host/path`, after the '@'
};

// The user part is what comes between `://` and the last '@', unless that
// stretch holds a '/' before any ':' (then the '@' is in the path). A
// password may hold '/', which git's URLs allow unescaped in practice.
UrlCredentials url_credentials(std::string_view url);

// The URL as ferry shows it: without its password; an http(s) URL with a
// user and no password (a token in the user's place) as `***@host`.
std::string shown_url(std::string_view url);

// What must never appear in output: the password, or an http(s) URL's lone
// user (a token).
std::vector<std::string> url_secrets(std::string_view url);

// `text` with every secret of `url` replaced by `***`.
std::string without_url_secrets(std::string text, std::string_view url);

}  // namespace ferry
