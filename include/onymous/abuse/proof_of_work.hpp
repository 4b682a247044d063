#pragma once
// Proof of work on join and next (PROTOCOL.md, Abuse controls): the
// challenges hello and waiting carry, the check of a proof, and a reference
// solver. Pure: no sockets, no threads; the caller passes the time, and the
// key is injected (random_pow_key() at each start, a fixed one in tests).
//
// Stateless: a challenge's prefix carries its own expiry,
// bits and count, a random nonce and a MAC over them, so the server checks
// a challenge it issued without storing it, and a client can neither
// change the difficulty nor make a prefix up.
//
// Single use needs no table of redeemed challenges. A proof names no
// prefix: it is checked against the one challenge in force of the session
// it was sent on, the only session that challenge was ever sent to, and
// that session replaces it the moment a proof of it is accepted
// (session/session_abuse.cpp). A replayed proof therefore meets the
// successor, and its nonces satisfy that only by the chance any guess has,
// 2^-(bits x count). A process-wide guard of redeemed MACs added nothing to
// that and was the largest part of a proof's cost under churn
// (docs/performance.md, Proof of work under churn).
//
// The prefix, 33 bytes in base64url without padding (44 characters):
//   [0]      version, 1
//   [1, 7)   expiry: steady-clock milliseconds, big-endian 48 bits
//   [7]      bits
//   [8]      count
//   [9, 17)  nonce: 8 random bytes (two challenges of one millisecond differ)
//   [17, 33) MAC: the first 16 bytes of HMAC-SHA256(key, bytes [0, 17))
// Steady-clock time is enough: the key dies with the process, and with it
// every challenge it issued. A session that resumes on another node (cluster
// mode) must be given a fresh challenge there: the old one is foreign.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::abuse {

/// What hello and waiting carry as "challenge".
struct challenge {
    std::string prefix;            ///< 44 base64url characters
    unsigned bits = 0;             ///< leading zero bits each nonce's SHA-256 must have
    unsigned count = 0;            ///< nonces in the proof
    std::uint64_t expires_ms = 0;  ///< "expiresMs": the time to live when sent

    bool operator==(const challenge&) const = default;
};

/// Why a proof is refused; every refusal answers invalid_proof.
enum class proof_result : std::uint8_t {
    ok,
    missing,       ///< no nonces at all
    malformed,     ///< not `count` distinct nonces of 1-64 printable ASCII characters
    too_few_bits,  ///< some nonce's hash has fewer leading zero bits than asked
    expired,
    foreign,  ///< not a prefix of this key: another process's, or made up
};

/// For metrics labels and test messages.
std::string_view to_string(proof_result r);

using pow_key = std::array<std::uint8_t, 32>;

/// 32 bytes from OpenSSL's generator, for one process's life. Throws if
/// the generator fails.
pow_key random_pow_key();

class proof_of_work {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// Largest bits and count a prefix can say (config bounds: 32 and 64).
    static constexpr unsigned max_bits = 32;
    static constexpr unsigned max_count = 64;
    /// Longest nonce, in printable ASCII characters (0x20-0x7E).
    static constexpr std::size_t max_nonce_size = 64;

    /// `ttl`: abuse.pow_ttl, how long a challenge stays valid.
    proof_of_work(const pow_key& key, std::chrono::milliseconds ttl);

    /// A new challenge that expires at now + ttl; bits and count are
    /// clamped to 0..max_bits and 1..max_count. Draws its nonce from
    /// OpenSSL's generator.
    challenge issue(unsigned bits, unsigned count, time_point now) const;
    /// The same with the nonce given (tests: no randomness).
    challenge issue(unsigned bits, unsigned count, time_point now, std::uint64_t nonce) const;

    /// Checks `proof` against the challenge `prefix`. Cheap things first:
    /// the nonces' shape, the prefix's MAC, the expiry; only then `count`
    /// SHA-256 hashes, stopping at the first short one. Redeeming is the
    /// caller's: it stops offering `prefix` (see above). Never throws on any
    /// input (OpenSSL failures aside).
    proof_result check(std::string_view prefix, std::span<const std::string> proof,
                       time_point now) const;

    /// A reload's new abuse.pow_ttl, for challenges issued from now on.
    /// Any thread; everything else is const.
    void set_ttl(std::chrono::milliseconds ttl) {
        ttl_ms_.store(ttl.count(), std::memory_order_relaxed);
    }

private:
    const pow_key key_;
    std::atomic<std::chrono::milliseconds::rep> ttl_ms_;
};

/// What the reference solver found.
struct solution {
    std::vector<std::string> nonces;  ///< `count` distinct nonces, lowercase hex of a counter
    std::uint64_t attempts = 0;       ///< hashes computed
};

/// Tries the counters first, first + 1, ... until `c.count` of them satisfy
/// `c.bits`; about count * 2^bits hashes. For tests and the benchmark (the
/// web client solves in a Web Worker).
solution solve(const challenge& c, std::uint64_t first = 0);

}  // namespace onymous::abuse
