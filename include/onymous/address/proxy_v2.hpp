#pragma once
// The PROXY protocol version 2 header (HAProxy's proxy-protocol.txt), which
// a layer-4 load balancer sends before anything else on the connection.
// Pure: the network code reads the fixed 16 bytes, asks for the length of
// the rest, reads exactly that much (never a byte of the TLS data behind
// it), then parses the whole.

#include <onymous/address/ip.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

namespace onymous::address::proxy_v2 {

/// Signature (12 bytes), version and command, family and protocol, length.
inline constexpr std::size_t fixed_bytes = 16;
/// Address block plus TLVs. The spec allows 65535; load balancers send a
/// few hundred (AWS and GCP add TLVs). More is refused, so that a
/// connection cannot make the daemon buffer 64 KiB before TLS.
inline constexpr std::size_t max_rest_bytes = 1024;

struct failure {
    std::string_view reason;  ///< for a debug log and tests; never holds input bytes
};

/// From the fixed 16 bytes: the number of bytes that follow, or why the
/// header is refused (no signature, version not 2, unknown command, a
/// PROXY command with a family and transport the spec does not define,
/// too long). LOCAL accepts any family byte: it is ignored.
std::variant<std::size_t, failure> rest_length(std::span<const std::uint8_t, fixed_bytes> fixed);

/// What the header says about the connection.
struct header {
    /// The client's address: set for PROXY over TCP or UDP with IPv4 or
    /// IPv6. Unset for LOCAL (a health check by the balancer itself) and
    /// for the UNSPEC and UNIX families: the connection's own address is used.
    std::optional<ip> source;
};

/// The whole header: the 16 fixed bytes followed by rest_length() bytes.
/// Refused when the address block is shorter than its family needs or the
/// total does not match.
std::variant<header, failure> parse(std::span<const std::uint8_t> whole);

}  // namespace onymous::address::proxy_v2
