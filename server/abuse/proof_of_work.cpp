#include <onymous/abuse/proof_of_work.hpp>

#include <onymous/text/codecs.hpp>

#include "abuse/sha256.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace onymous::abuse {

namespace {

constexpr std::uint8_t version = 1;
constexpr std::size_t signed_size = 17;  ///< version, expiry, bits, count, nonce
constexpr std::size_t mac_size = 16;
constexpr std::size_t prefix_bytes = signed_size + mac_size;
constexpr std::size_t prefix_chars = prefix_bytes / 3 * 4;  ///< 33 bytes: no partial group
static_assert(prefix_bytes % 3 == 0 && prefix_chars == 44);

using raw_prefix = std::array<std::uint8_t, prefix_bytes>;

using prefix_mac = std::array<std::uint8_t, mac_size>;

prefix_mac mac_of(const pow_key& key, const raw_prefix& raw) {
    const auto full = detail::hmac_sha256(key, std::span(raw.data(), signed_size));
    prefix_mac mac;
    std::copy_n(full.begin(), mac_size, mac.begin());
    return mac;
}

std::int64_t to_ms(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

bool printable_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

/// `count` distinct nonces of 1-64 printable ASCII characters.
bool well_formed(std::span<const std::string> proof, unsigned count) {
    if (proof.size() != count) return false;
    for (std::size_t i = 0; i < proof.size(); ++i) {
        const std::string& n = proof[i];
        if (n.empty() || n.size() > proof_of_work::max_nonce_size || !printable_ascii(n))
            return false;
        // At most 64 nonces of 64 bytes: pairwise is cheaper than a set.
        for (std::size_t j = 0; j < i; ++j)
            if (proof[j] == n) return false;
    }
    return true;
}

std::string hex(std::uint64_t v) {
    constexpr char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[v & 0xF]);
        v >>= 4;
    } while (v != 0);
    return out;
}

}  // namespace

std::string_view to_string(proof_result r) {
    switch (r) {
    case proof_result::ok: return "ok";
    case proof_result::missing: return "missing";
    case proof_result::malformed: return "malformed";
    case proof_result::too_few_bits: return "too_few_bits";
    case proof_result::expired: return "expired";
    case proof_result::foreign: return "foreign";
    }
    return "unknown";
}

pow_key random_pow_key() {
    pow_key key{};
    // Only fails when the system's entropy source is broken: a guessable key
    // would let anyone mint challenges, so refuse to start instead.
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
        throw std::runtime_error("the random number generator failed");
    return key;
}

proof_of_work::proof_of_work(const pow_key& key, std::chrono::milliseconds ttl)
    : key_(key), ttl_ms_(ttl.count()) {}

challenge proof_of_work::issue(unsigned bits, unsigned count, time_point now) const {
    // The nonce only has to make two challenges of one millisecond differ:
    // the MAC, under a key nobody else has, is what makes a prefix
    // unforgeable. A counter from a random start does that without a call
    // into the generator per challenge, which cost about as much as the MAC
    // (bench/pow_bench.cpp).
    static std::atomic<std::uint64_t> next_nonce = [] {
        std::uint64_t start = 0;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&start), sizeof start) != 1)
            throw std::runtime_error("the random number generator failed");
        return start;
    }();
    return issue(bits, count, now, next_nonce.fetch_add(1, std::memory_order_relaxed));
}

challenge proof_of_work::issue(unsigned bits, unsigned count, time_point now,
                               std::uint64_t nonce) const {
    const std::int64_t ttl = std::max<std::int64_t>(0, ttl_ms_.load(std::memory_order_relaxed));
    const std::uint64_t expiry = static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_ms(now))) +
                                 static_cast<std::uint64_t>(ttl);
    challenge c;
    c.bits = std::min(bits, max_bits);
    c.count = std::clamp(count, 1u, max_count);
    c.expires_ms = static_cast<std::uint64_t>(ttl);

    raw_prefix raw{};
    raw[0] = version;
    for (int i = 0; i < 6; ++i) raw[1 + i] = static_cast<std::uint8_t>(expiry >> (40 - 8 * i));
    raw[7] = static_cast<std::uint8_t>(c.bits);
    raw[8] = static_cast<std::uint8_t>(c.count);
    for (int i = 0; i < 8; ++i) raw[9 + i] = static_cast<std::uint8_t>(nonce >> (56 - 8 * i));
    const prefix_mac mac = mac_of(key_, raw);
    std::copy(mac.begin(), mac.end(), raw.begin() + signed_size);
    c.prefix = text::to_base64url(raw);
    return c;
}

proof_result proof_of_work::check(std::string_view prefix, std::span<const std::string> proof,
                                  time_point now) const {
    if (proof.empty()) return proof_result::missing;

    // The prefix first: its count says what shape the proof must have. A
    // prefix that does not decode is not one of ours, like a wrong MAC.
    raw_prefix raw{};
    if (!text::from_base64url(prefix, raw) || raw[0] != version || raw[7] > max_bits ||
        raw[8] == 0 || raw[8] > max_count)
        return proof_result::foreign;
    if (!well_formed(proof, raw[8])) return proof_result::malformed;

    // One HMAC, constant-time compare.
    const prefix_mac mac = mac_of(key_, raw);
    if (CRYPTO_memcmp(mac.data(), raw.data() + signed_size, mac_size) != 0)
        return proof_result::foreign;
    std::uint64_t expiry = 0;
    for (int i = 0; i < 6; ++i) expiry = (expiry << 8) | raw[1 + i];
    if (now >= time_point(std::chrono::milliseconds(expiry))) return proof_result::expired;

    // Exactly `count` hashes at most.
    for (const std::string& nonce : proof)
        if (detail::leading_zero_bits(
                detail::sha256(detail::bytes_of(prefix), detail::bytes_of(nonce))) < raw[7])
            return proof_result::too_few_bits;
    return proof_result::ok;
}

solution solve(const challenge& c, std::uint64_t first) {
    solution out;
    detail::sha256_prefix hasher(c.prefix);
    for (std::uint64_t counter = first; out.nonces.size() < c.count; ++counter) {
        std::string nonce = hex(counter);
        ++out.attempts;
        if (detail::leading_zero_bits(hasher.digest(nonce)) >= c.bits)
            out.nonces.push_back(std::move(nonce));
    }
    return out;
}

}  // namespace onymous::abuse
