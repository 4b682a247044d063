#include <onymous/address/keyed_hash.hpp>

#include <bit>

namespace onymous::address {

namespace {

std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

struct sip_state {
    std::uint64_t v0, v1, v2, v3;

    void round() {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }

    void absorb(std::uint64_t m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

}  // namespace

// SipHash-2-4 as in Aumasson and Bernstein's paper: two compression rounds
// per 8-byte word, four finalisation rounds.
std::uint64_t siphash24(const hash_key& key, std::span<const std::uint8_t> data) {
    const std::uint64_t k0 = load_le64(key.data());
    const std::uint64_t k1 = load_le64(key.data() + 8);
    sip_state s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
                k1 ^ 0x7465646279746573ULL};
    const std::size_t whole = data.size() / 8 * 8;
    for (std::size_t i = 0; i < whole; i += 8) s.absorb(load_le64(data.data() + i));
    std::uint64_t last = static_cast<std::uint64_t>(data.size() & 0xFF) << 56;
    for (std::size_t i = whole; i < data.size(); ++i)
        last |= static_cast<std::uint64_t>(data[i]) << (8 * (i - whole));
    s.absorb(last);
    s.v2 ^= 0xFF;
    for (int i = 0; i < 4; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace onymous::address
