// Proof of work (abuse/proof_of_work) with a fixed key, fixed challenge
// nonces and a manual clock: valid proofs, too few bits, malformed and
// duplicate nonces, expiry, replay, and a challenge from another process's
// key. The session's side of single use, replacing the challenge in force,
// is in session_abuse_test.cpp.

#include <onymous/abuse/proof_of_work.hpp>

#include "abuse/sha256.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace onymous::abuse;
using namespace std::chrono_literals;
using time_point = proof_of_work::time_point;
using nonces = std::vector<std::string>;

namespace {

pow_key key_of(std::uint8_t fill) {
    pow_key k;
    k.fill(fill);
    return k;
}

const time_point t0 = time_point{} + 1h;

unsigned zero_bits(const std::string& prefix, const std::string& nonce) {
    return detail::leading_zero_bits(
        detail::sha256(detail::bytes_of(prefix), detail::bytes_of(nonce)));
}

/// The first counter, as the solver spells it, whose hash falls short of `bits`.
std::string short_nonce(const challenge& c) {
    for (std::uint64_t i = 1000;; ++i) {
        const std::string n = "x" + std::to_string(i);
        if (zero_bits(c.prefix, n) < c.bits) return n;
    }
}

}  // namespace

TEST_CASE("a challenge is a compact, MAC'd prefix", "[abuse][pow]") {
    const proof_of_work pow(key_of(1), 2min);
    const challenge c = pow.issue(8, 4, t0, 42);
    CHECK(c.prefix.size() == 44);
    CHECK(c.prefix.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    CHECK(c.bits == 8);
    CHECK(c.count == 4);
    CHECK(c.expires_ms == 120'000);
    // The same fields give the same prefix; another nonce, time or key another.
    CHECK(pow.issue(8, 4, t0, 42) == c);
    CHECK(pow.issue(8, 4, t0, 43).prefix != c.prefix);
    CHECK(pow.issue(8, 4, t0 + 1ms, 42).prefix != c.prefix);
    CHECK(proof_of_work(key_of(2), 2min).issue(8, 4, t0, 42).prefix != c.prefix);
    // Random nonces: two challenges of one millisecond differ.
    CHECK(pow.issue(8, 4, t0).prefix != pow.issue(8, 4, t0).prefix);
    // Bits and count are clamped to what a prefix can say.
    const challenge big = pow.issue(99, 99, t0, 1);
    CHECK(big.bits == proof_of_work::max_bits);
    CHECK(big.count == proof_of_work::max_count);
    CHECK(pow.issue(1, 0, t0, 1).count == 1);
}

TEST_CASE("a solved proof is accepted; replayed, it meets the successor", "[abuse][pow]") {
    const proof_of_work pow(key_of(1), 2min);
    const challenge c = pow.issue(10, 4, t0, 7);
    const solution s = solve(c);
    REQUIRE(s.nonces.size() == 4);
    CHECK(std::set(s.nonces.begin(), s.nonces.end()).size() == 4);
    for (const auto& n : s.nonces) CHECK(zero_bits(c.prefix, n) >= 10);
    CHECK(s.attempts >= 4);
    CHECK(pow.check(c.prefix, s.nonces, t0 + 1s) == proof_result::ok);
    CHECK(pow.check(c.prefix, s.nonces, t0 + 1s) == proof_result::ok);

    // Redeeming is the holder's: it replaces the challenge in force, and a
    // replay is checked against the successor, which it does not meet.
    const challenge successor = pow.issue(10, 4, t0 + 1s, 8);
    CHECK(pow.check(successor.prefix, s.nonces, t0 + 2s) == proof_result::too_few_bits);
    CHECK(pow.check(successor.prefix, solve(successor).nonces, t0 + 2s) == proof_result::ok);
}

TEST_CASE("a nonce with too few bits fails the proof", "[abuse][pow]") {
    const proof_of_work pow(key_of(1), 2min);
    const challenge c = pow.issue(8, 4, t0, 7);
    nonces proof = solve(c).nonces;
    for (std::size_t i = 0; i < proof.size(); ++i) {
        nonces bad = proof;
        bad[i] = short_nonce(c);
        INFO(i);
        CHECK(pow.check(c.prefix, bad, t0) == proof_result::too_few_bits);
    }
    // Exactly `bits` is enough.
    const challenge six = pow.issue(6, 1, t0, 9);
    std::string exact;
    for (std::uint64_t i = 0; exact.empty(); ++i)
        if (zero_bits(six.prefix, std::to_string(i)) == 6) exact = std::to_string(i);
    CHECK(pow.check(six.prefix, nonces{exact}, t0) == proof_result::ok);
    CHECK(detail::leading_zero_bits(detail::sha256_digest{}) == 256);
    detail::sha256_digest d{};
    d[1] = 0x01;
    CHECK(detail::leading_zero_bits(d) == 15);
    d[0] = 0x80;
    CHECK(detail::leading_zero_bits(d) == 0);
}

TEST_CASE("a proof must be count distinct printable nonces", "[abuse][pow]") {
    const proof_of_work pow(key_of(1), 2min);
    // Zero bits: any nonce's hash is good enough, only the shape matters.
    const challenge c = pow.issue(0, 4, t0, 7);
    const auto result = [&](const nonces& proof) { return pow.check(c.prefix, proof, t0); };
    CHECK(result({"a", "b", "c", "d"}) == proof_result::ok);
    CHECK(result({std::string(64, '~'), " ", "!", "0"}) == proof_result::ok);
    CHECK(result({}) == proof_result::missing);
    CHECK(result({"a", "b", "c"}) == proof_result::malformed);
    CHECK(result({"a", "b", "c", "d", "e"}) == proof_result::malformed);
    CHECK(result({"a", "b", "a", "d"}) == proof_result::malformed);
    CHECK(result({"a", "b", "c", "c"}) == proof_result::malformed);
    CHECK(result({"a", "b", "c", ""}) == proof_result::malformed);
    CHECK(result({"a", "b", "c", std::string(65, 'x')}) == proof_result::malformed);
    CHECK(result({"a", "b", "c", "d\n"}) == proof_result::malformed);
    CHECK(result({"a", "b", "c", "\x7f"}) == proof_result::malformed);
    CHECK(result({"a", "b", "c", "\xc3\xa9"}) == proof_result::malformed);
    CHECK(result({"a", "b", "c", std::string("d\0", 2)}) == proof_result::malformed);

    // Duplicates of a solved proof are refused before any hash.
    const challenge hard = pow.issue(12, 2, t0, 8);
    const nonces solved = solve(hard).nonces;
    CHECK(pow.check(hard.prefix, nonces{solved[0], solved[0]}, t0) == proof_result::malformed);
}

TEST_CASE("a challenge expires pow_ttl after it was issued", "[abuse][pow]") {
    proof_of_work pow(key_of(1), 2min);
    const challenge c = pow.issue(4, 2, t0, 7);
    const nonces proof = solve(c).nonces;
    CHECK(pow.check(c.prefix, proof, t0 + 2min - 1ms) == proof_result::ok);
    CHECK(pow.check(c.prefix, proof, t0 + 2min) == proof_result::expired);
    CHECK(pow.check(c.prefix, proof, t0 + 1h) == proof_result::expired);
    // A reload's ttl applies to challenges issued afterwards.
    pow.set_ttl(10s);
    const challenge short_lived = pow.issue(4, 2, t0, 7);
    CHECK(short_lived.expires_ms == 10'000);
    CHECK(pow.check(short_lived.prefix, solve(short_lived).nonces, t0 + 10s) ==
          proof_result::expired);
    CHECK(pow.check(c.prefix, proof, t0 + 1min) == proof_result::ok);
}

TEST_CASE("a challenge of another key, or a made-up one, is foreign", "[abuse][pow]") {
    const proof_of_work ours(key_of(1), 2min);
    const proof_of_work theirs(key_of(2), 2min);  // another process's start
    const challenge c = theirs.issue(4, 2, t0, 7);
    const nonces proof = solve(c).nonces;
    CHECK(theirs.check(c.prefix, proof, t0) == proof_result::ok);
    CHECK(ours.check(c.prefix, proof, t0) == proof_result::foreign);
    // Even expired: the MAC is checked before the expiry.
    CHECK(ours.check(c.prefix, proof, t0 + 1h) == proof_result::foreign);

    // Each character of our own prefix changed: the MAC no longer holds (or
    // the prefix no longer decodes). Characters 10 and 11 hold the count,
    // which is checked against the proof's size first.
    const challenge mine = ours.issue(4, 2, t0, 7);
    const nonces my_proof = solve(mine).nonces;
    for (std::size_t i = 0; i < mine.prefix.size(); ++i) {
        std::string forged = mine.prefix;
        forged[i] = forged[i] == 'A' ? 'B' : 'A';
        INFO(i);
        const proof_result r = ours.check(forged, my_proof, t0);
        if (i == 10 || i == 11)
            CHECK((r == proof_result::foreign || r == proof_result::malformed));
        else
            CHECK(r == proof_result::foreign);
    }
    for (const std::string_view bad :
         {"", "short", "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"}) {
        CHECK(ours.check(bad, my_proof, t0) == proof_result::foreign);
    }
    CHECK(ours.check(mine.prefix + "A", my_proof, t0) == proof_result::foreign);
}

TEST_CASE("proof results have names", "[abuse][pow]") {
    CHECK(to_string(proof_result::ok) == "ok");
    CHECK(to_string(proof_result::missing) == "missing");
    CHECK(to_string(proof_result::malformed) == "malformed");
    CHECK(to_string(proof_result::too_few_bits) == "too_few_bits");
    CHECK(to_string(proof_result::expired) == "expired");
    CHECK(to_string(proof_result::foreign) == "foreign");
    CHECK(random_pow_key() != random_pow_key());
}

TEST_CASE("the MAC is HMAC-SHA256 (RFC 4231 test cases 2 and 6)", "[abuse][pow]") {
    const auto bytes = [](std::string_view s) {
        return std::vector<std::uint8_t>(s.begin(), s.end());
    };
    const auto hex = [](const detail::sha256_digest& d) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string out;
        for (const auto b : d) {
            out += digits[b >> 4];
            out += digits[b & 0xf];
        }
        return out;
    };
    CHECK(hex(detail::hmac_sha256(bytes("Jefe"), bytes("what do ya want for nothing?"))) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // A key longer than the block is hashed first.
    const std::vector<std::uint8_t> long_key(131, 0xaa);
    CHECK(hex(detail::hmac_sha256(
              long_key, bytes("Test Using Larger Than Block-Size Key - Hash Key First"))) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    // A thread keeps the last key's padded states: back to the first key,
    // and to a key that only differs from it by a trailing zero byte (the
    // same block, so the same MAC, as RFC 2104 pads keys with zeros).
    CHECK(hex(detail::hmac_sha256(bytes("Jefe"), bytes("what do ya want for nothing?"))) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(hex(detail::hmac_sha256(bytes(std::string("Jefe\0", 5)),
                                  bytes("what do ya want for nothing?"))) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(hex(detail::hmac_sha256(bytes("Jeff"), bytes("what do ya want for nothing?"))) !=
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
