#include "abuse/sha256.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace onymous::abuse::detail {

namespace {

/// Fetched once; never freed (it lives as long as the process's OpenSSL).
const EVP_MD* sha256_md() {
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (md == nullptr) throw std::runtime_error("SHA-256 is not available");
    return md;
}

[[noreturn]] void fail() { throw std::runtime_error("SHA-256 failed"); }

}  // namespace

sha256_digest sha256(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) fail();
    sha256_digest out{};
    unsigned int length = 0;
    const bool ok = EVP_DigestInit_ex(ctx, sha256_md(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
                    EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx, out.data(), &length) == 1 && length == out.size();
    EVP_MD_CTX_free(ctx);
    if (!ok) fail();
    return out;
}

sha256_digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
    // RFC 2104 written out over sha256(): two digests with a pre-padded
    // block each. OpenSSL's one-shot HMAC() makes and frees an HMAC context
    // per call, twice the cost of this (bench/pow_bench.cpp), and every
    // challenge issued and every proof checked takes one.
    constexpr std::size_t block = 64;
    std::array<std::uint8_t, block> inner{};
    std::array<std::uint8_t, block> outer{};
    if (key.size() > block) {
        const auto hashed = sha256(key);
        std::copy(hashed.begin(), hashed.end(), inner.begin());
    } else {
        std::copy(key.begin(), key.end(), inner.begin());
    }
    outer = inner;
    for (std::size_t i = 0; i < block; ++i) {
        inner[i] ^= 0x36;
        outer[i] ^= 0x5c;
    }
    const auto inner_digest = sha256(inner, data);
    return sha256(outer, inner_digest);
}

unsigned leading_zero_bits(const sha256_digest& d) {
    unsigned bits = 0;
    for (const std::uint8_t byte : d) {
        if (byte != 0) return bits + static_cast<unsigned>(std::countl_zero(byte));
        bits += 8;
    }
    return bits;
}

sha256_prefix::sha256_prefix(std::string_view prefix)
    : prefix_(EVP_MD_CTX_new()), work_(EVP_MD_CTX_new()) {
    if (prefix_ == nullptr || work_ == nullptr ||
        EVP_DigestInit_ex(prefix_, sha256_md(), nullptr) != 1 ||
        EVP_DigestUpdate(prefix_, prefix.data(), prefix.size()) != 1) {
        EVP_MD_CTX_free(prefix_);
        EVP_MD_CTX_free(work_);
        fail();
    }
}

sha256_prefix::~sha256_prefix() {
    EVP_MD_CTX_free(prefix_);
    EVP_MD_CTX_free(work_);
}

sha256_digest sha256_prefix::digest(std::string_view suffix) {
    sha256_digest out{};
    unsigned int length = 0;
    if (EVP_MD_CTX_copy_ex(work_, prefix_) != 1 ||
        EVP_DigestUpdate(work_, suffix.data(), suffix.size()) != 1 ||
        EVP_DigestFinal_ex(work_, out.data(), &length) != 1 || length != out.size())
        fail();
    return out;
}

}  // namespace onymous::abuse::detail
