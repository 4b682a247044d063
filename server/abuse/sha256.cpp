#include "abuse/sha256.hpp"

#include <algorithm>
#include <bit>
#include <memory>
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

struct md_ctx_free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using md_ctx = std::unique_ptr<EVP_MD_CTX, md_ctx_free>;

md_ctx new_ctx() {
    md_ctx ctx(EVP_MD_CTX_new());
    if (!ctx) fail();
    return ctx;
}

/// This thread's context for one digest at a time. A context made and freed
/// per digest (CRYPTO_zalloc, OPENSSL_cleanse) cost about a third of
/// hashing a proof's 50 bytes; every challenge and every proof takes four
/// to six digests.
EVP_MD_CTX* scratch() {
    thread_local const md_ctx ctx = new_ctx();
    return ctx.get();
}

sha256_digest finish(EVP_MD_CTX* ctx) {
    sha256_digest out{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx, out.data(), &length) != 1 || length != out.size()) fail();
    return out;
}

constexpr std::size_t hmac_block = 64;
using hmac_key_block = std::array<std::uint8_t, hmac_block>;

/// HMAC's two padded key blocks, absorbed (RFC 2104), for the last key this
/// thread used. A process MACs with one key (its proof-of-work key), so
/// each MAC copies two states instead of hashing both pads again.
struct hmac_pads {
    bool absorbed = false;
    hmac_key_block key{};  ///< the key as a block: zero-padded, or its hash
    md_ctx inner = new_ctx();
    md_ctx outer = new_ctx();

    void absorb(const hmac_key_block& k) {
        hmac_key_block ipad = k;
        hmac_key_block opad = k;
        for (std::size_t i = 0; i < hmac_block; ++i) {
            ipad[i] ^= 0x36;
            opad[i] ^= 0x5c;
        }
        absorbed = false;
        if (EVP_DigestInit_ex2(inner.get(), sha256_md(), nullptr) != 1 ||
            EVP_DigestUpdate(inner.get(), ipad.data(), ipad.size()) != 1 ||
            EVP_DigestInit_ex2(outer.get(), sha256_md(), nullptr) != 1 ||
            EVP_DigestUpdate(outer.get(), opad.data(), opad.size()) != 1)
            fail();
        key = k;
        absorbed = true;
    }
};

}  // namespace

sha256_digest sha256(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    EVP_MD_CTX* ctx = scratch();
    if (EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx, a.data(), a.size()) != 1 ||
        EVP_DigestUpdate(ctx, b.data(), b.size()) != 1)
        fail();
    return finish(ctx);
}

sha256_digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
    // RFC 2104 written out over SHA-256. OpenSSL's one-shot HMAC() makes
    // and frees an HMAC context per call, three times the cost of this
    // (bench/pow_bench.cpp), and every challenge issued and every proof
    // checked takes one.
    hmac_key_block block{};
    if (key.size() > hmac_block) {
        const auto hashed = sha256(key);
        std::copy(hashed.begin(), hashed.end(), block.begin());
    } else {
        std::copy(key.begin(), key.end(), block.begin());
    }
    thread_local hmac_pads pads;
    if (!pads.absorbed || pads.key != block) pads.absorb(block);

    EVP_MD_CTX* ctx = scratch();
    if (EVP_MD_CTX_copy_ex(ctx, pads.inner.get()) != 1 ||
        EVP_DigestUpdate(ctx, data.data(), data.size()) != 1)
        fail();
    const sha256_digest inner_digest = finish(ctx);
    if (EVP_MD_CTX_copy_ex(ctx, pads.outer.get()) != 1 ||
        EVP_DigestUpdate(ctx, inner_digest.data(), inner_digest.size()) != 1)
        fail();
    return finish(ctx);
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
    if (EVP_MD_CTX_copy_ex(work_, prefix_) != 1 ||
        EVP_DigestUpdate(work_, suffix.data(), suffix.size()) != 1)
        fail();
    return finish(work_);
}

}  // namespace onymous::abuse::detail
