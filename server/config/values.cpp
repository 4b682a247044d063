#include "config/values.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <limits>

namespace onymous::config::detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// inet_pton needs a NUL-terminated string; addresses longer than this are not literals.
constexpr std::size_t max_literal = 64;

// Parses an address literal into `bytes`; returns its size (4 or 16), 0 if it is not one.
std::size_t parse_address(std::string_view text, std::array<unsigned char, 16>& bytes) {
    // A NUL would end the literal early for inet_pton: "127.0.0.1\0junk".
    if (text.empty() || text.size() >= max_literal || text.find('\0') != std::string_view::npos) {
        return 0;
    }
    std::array<char, max_literal> buffer{};
    std::memcpy(buffer.data(), text.data(), text.size());
    if (inet_pton(AF_INET, buffer.data(), bytes.data()) == 1) {
        return 4;
    }
    if (inet_pton(AF_INET6, buffer.data(), bytes.data()) == 1) {
        return 16;
    }
    return 0;
}

bool is_host_char(char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '.'; }

bool is_port(std::string_view text) {
    std::uint64_t port = 0;
    return parse_uint(text, port) && port >= 1 && port <= 65535;
}

}  // namespace

bool parse_uint(std::string_view text, std::uint64_t& out) {
    if (text.empty()) {
        return false;
    }
    std::uint64_t value = 0;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (const char c : text) {
        if (!is_digit(c)) {
            return false;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (max - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
    }
    out = value;
    return true;
}

bool is_ip_literal(std::string_view text) {
    std::array<unsigned char, 16> bytes{};
    return parse_address(text, bytes) != 0;
}

cidr_status check_cidr(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return cidr_status::malformed;
    }
    std::array<unsigned char, 16> bytes{};
    const std::size_t size = parse_address(text.substr(0, slash), bytes);
    const std::string_view length_text = text.substr(slash + 1);
    std::uint64_t length = 0;
    if (size == 0 || length_text.size() > 3 || !parse_uint(length_text, length) ||
        length > size * 8) {
        return cidr_status::malformed;
    }
    // Every bit past the prefix must be zero: "10.0.0.1/8" is most likely a typo.
    for (std::size_t bit = length; bit < size * 8; ++bit) {
        if ((bytes[bit / 8] >> (7 - bit % 8)) & 1U) {
            return cidr_status::host_bits_set;
        }
    }
    return cidr_status::ok;
}

bool is_origin(std::string_view text) {
    std::string_view rest;
    if (text.starts_with("https://")) {
        rest = text.substr(8);
    } else if (text.starts_with("http://")) {
        rest = text.substr(7);
    } else {
        return false;
    }
    if (rest.starts_with('[')) {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        std::array<unsigned char, 16> bytes{};
        if (parse_address(rest.substr(1, close - 1), bytes) != 16) {
            return false;
        }
        rest = rest.substr(close + 1);
        return rest.empty() || (rest.starts_with(':') && is_port(rest.substr(1)));
    }
    const auto colon = rest.find(':');
    const std::string_view host = rest.substr(0, colon);
    if (host.empty()) {
        return false;
    }
    for (const char c : host) {
        if (!is_host_char(c)) {
            return false;
        }
    }
    return colon == std::string_view::npos || is_port(rest.substr(colon + 1));
}

bool has_url_prefix(std::string_view text, std::span<const std::string_view> prefixes) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7F) {
            return false;
        }
    }
    for (const std::string_view prefix : prefixes) {
        if (text.size() > prefix.size() && text.starts_with(prefix)) {
            return true;
        }
    }
    return false;
}

}  // namespace onymous::config::detail
