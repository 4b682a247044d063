#pragma once
// Reading one value of each kind from its YAML node: the value, or a
// config_error that says what was expected and what was found.

#include "config/context.hpp"
#include "config/keys.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::config::detail {

/// The node's text; refuses anything but a scalar.
const std::string& scalar(const load_context& ctx, const value_ref& value,
                          std::string_view expected);

/// Any scalar; an empty value (`key:`) reads as "".
std::string read_string(const load_context& ctx, const value_ref& value, std::string_view expected);

/// Decimal digits within [min, max].
std::uint64_t read_uint(const load_context& ctx, const value_ref& value, std::uint64_t min,
                        std::uint64_t max, std::string_view expected);

/// `true` or `false`, nothing else.
bool read_bool(const load_context& ctx, const value_ref& value, std::string_view expected);

/// "<integer><unit>" within [min, max] milliseconds.
duration read_duration(const load_context& ctx, const value_ref& value, std::uint64_t min,
                       std::uint64_t max, std::string_view expected);

/// The index of the matching name.
std::uint64_t read_choice(const load_context& ctx, const value_ref& value,
                          std::span<const std::string_view> names, std::string_view expected);

/// Empty, or starting with one of `prefixes`; a refused value is not repeated.
std::string read_url(const load_context& ctx, const value_ref& value,
                     std::span<const std::string_view> prefixes, std::string_view expected);

/// A systemd FileDescriptorName= (listeners[].fd_name); empty = none.
std::string read_fd_name(const load_context& ctx, const value_ref& value,
                         std::string_view expected);

/// An IPv4 or IPv6 literal.
std::string read_address(const load_context& ctx, const value_ref& value,
                         std::string_view expected);

/// A list of `type` (url_list, origin_list, cidr_list or secret), each item
/// checked; a secret may also be one string, and has at most `max_items`.
std::vector<std::string> read_list(const load_context& ctx, const value_ref& value, kind type,
                                   std::span<const std::string_view> prefixes,
                                   std::uint64_t max_items, std::string_view expected);

}  // namespace onymous::config::detail
