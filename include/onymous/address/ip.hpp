#pragma once
// Client addresses as the per-address limits, trusted proxies and relay
// networks see them. Pure: text and bytes in, values out, no sockets.
//
// One form for both families: an IPv4 address is held as its IPv4-mapped
// IPv6 form (::ffff:a.b.c.d), so "::ffff:192.0.2.1" from a dual-stack
// listener and "192.0.2.1" are the same address, and a network test is a
// single prefix comparison.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace onymous::address {

struct ip {
    std::array<std::uint8_t, 16> bytes{};

    /// IPv4 (held IPv4-mapped).
    bool is_v4() const;

    bool operator==(const ip&) const = default;
};

/// From network-order bytes of either family.
ip from_v4_bytes(const std::array<std::uint8_t, 4>& bytes);
ip from_v6_bytes(const std::array<std::uint8_t, 16>& bytes);

/// An IPv4 or IPv6 literal as inet_pton reads it: no brackets, no port, no
/// zone. nullopt for anything else.
std::optional<ip> parse_ip(std::string_view text);

/// What per-address limits count as one client: an IPv4 address, or the
/// /64 of an IPv6 address (one subscriber usually holds a whole /64, so
/// counting single IPv6 addresses would count nothing).
ip limit_key_of(const ip& address);

}  // namespace onymous::address
