#pragma once
// X-Forwarded-For, believed only from trusted proxies. Pure.
//
// Each proxy appends the address it received the request from, so the
// header reads "client, proxy1, proxy2" and the connection comes from the
// last proxy. Anyone can write the left part; only the entries appended by
// trusted proxies are true. Walking from the right, the client is the first
// address that is not a trusted proxy. Several header lines count as one
// comma-separated list, in order (RFC 9110, 5.3).

#include <onymous/address/ip.hpp>
#include <onymous/address/network.hpp>

#include <span>
#include <string_view>

namespace onymous::address {

/// The client address of a request that arrived from `peer` with the
/// X-Forwarded-For header lines `header_lines` (possibly none).
///
/// - `peer` not in `trusted`: the header is ignored; the client is `peer`.
/// - Otherwise the rightmost entry not in `trusted` is the client. When
///   every entry is trusted, the leftmost one is.
/// - An entry that is not an address (garbage, "unknown", an obfuscated
///   RFC 7239 name) ends the walk: what lies left of it cannot be trusted,
///   so the client is the last trusted hop passed, the one that wrote it.
///
/// Entries may carry a port ("192.0.2.1:5678", "[2001:db8::1]:5678", at
/// most 65535) and surrounding white space; both are ignored. Empty list
/// elements ("a,,b") are skipped (RFC 9110, 5.6.1) and not counted. At most
/// `max_forwarded_entries` entries are examined from the right, so a huge
/// header costs bounded work.
ip client_behind_proxies(const ip& peer, std::span<const std::string_view> header_lines,
                         const network_set& trusted);

/// One entry of the list, as above: nullopt when it is not an address.
std::optional<ip> parse_forwarded_entry(std::string_view entry);

inline constexpr std::size_t max_forwarded_entries = 64;

}  // namespace onymous::address
