// SHA-256, for digests that must be the same on every machine (a plan's:
// SPEC 7). libgit2 exposes no SHA-256, so this is OpenSSL's libcrypto.
#pragma once

#include <string>
#include <string_view>

namespace ferry {

// The SHA-256 of `data`, as 64 lowercase hexadecimal digits.
std::string sha256_hex(std::string_view data);

}  // namespace ferry
