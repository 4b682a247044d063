#pragma once
// Bytes as text, for what crosses the wire or Redis as opaque tokens:
// base64url without padding (RFC 4648 §5: session tokens, proof-of-work
// prefixes) and lowercase hex (ids, TURN usernames' parts, the cluster's
// address key). Pure; one implementation of each, so that an alphabet or a
// padding rule cannot differ between two places.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace onymous::text {

/// base64url without padding: 4 characters per 3 bytes, 2 or 3 for a last
/// partial group.
std::string to_base64url(std::span<const std::uint8_t> bytes);
/// Decodes `text` into exactly `out`: false unless `text` is the unpadded
/// base64url of out.size() bytes (length, alphabet, and zero bits left over
/// in a last partial group, so that each byte string has one spelling).
bool from_base64url(std::string_view text, std::span<std::uint8_t> out);

/// Two lowercase hex digits per byte.
std::string to_hex(std::span<const std::uint8_t> bytes);
/// Decodes exactly 2 × out.size() hex digits (either case) into `out`.
bool from_hex(std::string_view text, std::span<std::uint8_t> out);

}  // namespace onymous::text
