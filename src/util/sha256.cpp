#include "ferry/util/sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace ferry {

struct Sha256::Context {
    struct Deleter {
        void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
    };
    std::unique_ptr<EVP_MD_CTX, Deleter> md{EVP_MD_CTX_new()};
};

// Only an allocation failure makes libcrypto's calls below fail.
Sha256::Sha256() : context_(std::make_unique<Context>()) {
    if (!context_->md || EVP_DigestInit_ex(context_->md.get(), EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

Sha256& Sha256::update(std::string_view data) {
    if (EVP_DigestUpdate(context_->md.get(), data.data(), data.size()) != 1) throw std::runtime_error("SHA-256 failed");
    return *this;
}

std::string Sha256::hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(context_->md.get(), md.data(), &size) != 1) throw std::runtime_error("SHA-256 failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (unsigned int i = 0; i < size; ++i) {
        out.push_back(kHex[md[i] >> 4]);
        out.push_back(kHex[md[i] & 0xf]);
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    return Sha256().update(data).hex();
}

}  // namespace ferry
