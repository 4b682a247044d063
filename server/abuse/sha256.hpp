#pragma once
// SHA-256 and HMAC-SHA256 for the abuse controls (proof of work, the daily
// address key), on OpenSSL 3. Socket-free (onymous_core).
//
// The digest is fetched once per process (EVP_MD_fetch): OpenSSL 3 looks a
// legacy EVP_sha256() up in its provider on every EVP_Digest call, which
// costs more than hashing a 64-byte proof.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include <openssl/evp.h>

namespace onymous::abuse::detail {

using sha256_digest = std::array<std::uint8_t, 32>;

/// SHA-256 of `a` followed by `b`. Throws std::runtime_error if OpenSSL fails.
sha256_digest sha256(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {});

/// The bytes of `text`, for sha256().
inline std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// HMAC-SHA256 of `data` under `key`. Throws std::runtime_error if OpenSSL
/// fails. Each thread keeps the padded states of the last key it used.
sha256_digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);

/// Zero bits at the start of `d`, most significant bit of byte 0 first.
unsigned leading_zero_bits(const sha256_digest& d);

/// SHA-256 of one prefix followed by many suffixes: the prefix is absorbed
/// once, and each digest() copies that state (the solver's inner loop; a
/// check of `count` nonces uses sha256() instead: two contexts made for a
/// few digests cost more than what they save).
/// Not thread-safe; one per thread.
class sha256_prefix {
public:
    explicit sha256_prefix(std::string_view prefix);
    ~sha256_prefix();
    sha256_prefix(const sha256_prefix&) = delete;
    sha256_prefix& operator=(const sha256_prefix&) = delete;

    /// SHA-256 of prefix + suffix.
    sha256_digest digest(std::string_view suffix);

private:
    EVP_MD_CTX* prefix_;  ///< holds the prefix absorbed
    EVP_MD_CTX* work_;    ///< a copy of prefix_ per digest
};

}  // namespace onymous::abuse::detail
