// SHA-256, through OpenSSL's libcrypto (libgit2 has no public one).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace ferry {

// Bytes fed in pieces, then the digest: a large document is hashed as it
// is written, never held whole.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    Sha256& update(std::string_view data);
    // The digest in lower-case hex; the object is spent.
    std::string hex();

private:
    struct Context;
    std::unique_ptr<Context> context_;
};

std::string sha256_hex(std::string_view data);

}  // namespace ferry
