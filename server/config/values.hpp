#pragma once
// Checks of single values, free of YAML: numbers, durations, addresses,
// CIDRs, origins and URL schemes.

#include <onymous/config/config.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace onymous::config::detail {

/// Decimal digits only (no sign, no spaces); false on anything else or overflow.
bool parse_uint(std::string_view text, std::uint64_t& out);

/// The shortest exact spelling of `d`: "250ms", "10s", "5m", "1h", "0s".
std::string format_duration(duration d);

/// True for an IPv4 or IPv6 literal as inet_pton reads it (no brackets, no zone).
bool is_ip_literal(std::string_view text);

enum class cidr_status { ok, malformed, host_bits_set };

/// "10.0.0.0/8", "2001:db8::/32": an address, a slash and a prefix length.
cidr_status check_cidr(std::string_view text);

/// A browser Origin: http(s)://host[:port], lower case, no path.
bool is_origin(std::string_view text);

/// True when `text` starts with one of `prefixes` and has more after it, with
/// no white space or control characters.
bool has_url_prefix(std::string_view text, std::span<const std::string_view> prefixes);

}  // namespace onymous::config::detail
