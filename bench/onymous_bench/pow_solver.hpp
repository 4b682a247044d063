#pragma once
// The client's side of the proof of work (PROTOCOL.md, Abuse controls), so
// that churn can run against a daemon with abuse.pow_bits > 0: `hello` and
// every `waiting` carry {"prefix","bits","count","expiresMs"}, and the next
// `join` or `next` carries "proof":[n1,…,nK], K distinct nonces, each such
// that SHA-256 of the bytes of prefix + nonce starts with `bits` zero bits.
//
// Written from the contract with OpenSSL, not with the daemon's
// abuse::solve(): a generator that shared the server's hashing code would
// agree with it even where both misread the contract (web/pow.js is the
// other independent solver). The search runs on the generator's one thread;
// its CPU is timed apart, so that reports can say what solving cost the
// generator, which the server's figures must not be confused with.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

namespace onymous::bench {

struct pow_challenge {
    std::string prefix;
    unsigned bits = 0;
    unsigned count = 0;
};

/// The "challenge" of a hello, waiting or invalid_proof error; nullopt when
/// the message has none (proof of work off) or it is out of bounds.
std::optional<pow_challenge> challenge_of(std::string_view message);

/// What answering challenges has cost so far.
struct pow_tally {
    std::uint64_t proofs = 0;
    std::uint64_t hashes = 0;
    double cpu_seconds = 0;  ///< thread CPU time in answer(): reading and solving
    unsigned max_bits = 0;   ///< the highest difficulty met
    unsigned count = 0;      ///< nonces per proof, of the last challenge
};

class pow_solver {
public:
    pow_solver();
    ~pow_solver();
    pow_solver(const pow_solver&) = delete;
    pow_solver& operator=(const pow_solver&) = delete;

    /// The proof for the challenge `message` carries, as the fragment to
    /// append to a join or next object: `,"proof":["…",…]`; nullopt when it
    /// carries none. Nonces count up from 0 in hex, so they are distinct;
    /// another challenge has another prefix, so reuse is fine.
    std::optional<std::string> answer(std::string_view message);

    const pow_tally& tally() const { return tally_; }

private:
    std::string solve(const pow_challenge& c);
    /// Leading zero bits of SHA-256(text), or at least `enough` of them.
    unsigned zero_bits(std::string_view text, unsigned enough);

    EVP_MD* md_;
    EVP_MD_CTX* ctx_;
    pow_tally tally_;
};

/// `join` or `next` with the fragment `proof` (empty: none).
std::string with_proof(std::string_view message, std::string_view proof);

}  // namespace onymous::bench
