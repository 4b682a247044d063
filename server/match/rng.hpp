#pragma once
// The pool's random source: xoshiro256** seeded through splitmix64. Fast,
// reproducible from a 64-bit seed (tests fix it), and never shared between
// threads: only the matcher's owner draws from it.

#include <cstdint>

namespace onymous::match {

class rng {
public:
    /// Seeds the four words of state from `seed` with splitmix64, as the
    /// xoshiro authors recommend (any seed, 0 included, gives a valid state).
    explicit rng(std::uint64_t seed) {
        for (auto& word : state_) word = splitmix64(seed);
    }

    /// The next 64 uniformly distributed bits.
    std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// Uniform in [0, n), n > 0, without modulo bias (Lemire's multiply and
    /// reject, on the high 32 bits, which are xoshiro's best).
    std::uint32_t below(std::uint32_t n) {
        std::uint64_t product = (next() >> 32) * n;
        auto low = static_cast<std::uint32_t>(product);
        if (low < n) {
            const std::uint32_t threshold = static_cast<std::uint32_t>(-n) % n;
            while (low < threshold) {
                product = (next() >> 32) * n;
                low = static_cast<std::uint32_t>(product);
            }
        }
        return static_cast<std::uint32_t>(product >> 32);
    }

    /// A fair coin.
    bool coin() { return (next() >> 63) != 0; }

    /// One step of splitmix64; also used to stretch a seed.
    static std::uint64_t splitmix64(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    std::uint64_t state_[4];
};

}  // namespace onymous::match
