#pragma once
// SipHash-2-4, a keyed hash: what the per-address table stores instead of
// an address. With a random key drawn at each start, the stored values say
// nothing about an address to someone who reads the process's memory after
// the key is gone, and a client cannot aim for one shard or bucket. Pure.

#include <array>
#include <cstdint>
#include <span>

namespace onymous::address {

using hash_key = std::array<std::uint8_t, 16>;

std::uint64_t siphash24(const hash_key& key, std::span<const std::uint8_t> data);

}  // namespace onymous::address
