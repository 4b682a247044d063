#include <onymous/address/ip.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <string>

namespace onymous::address {

namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix = {0, 0, 0, 0, 0,    0,
                                                           0, 0, 0, 0, 0xff, 0xff};

}  // namespace

bool ip::is_v4() const {
    return std::equal(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), bytes.begin());
}

ip from_v4_bytes(const std::array<std::uint8_t, 4>& bytes) {
    ip out;
    std::copy(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), out.bytes.begin());
    std::copy(bytes.begin(), bytes.end(), out.bytes.begin() + 12);
    return out;
}

ip from_v6_bytes(const std::array<std::uint8_t, 16>& bytes) { return ip{bytes}; }

std::optional<ip> parse_ip(std::string_view text) {
    // inet_pton needs a terminated string; the longest IPv6 literal
    // (with an embedded IPv4 tail) is 45 characters.
    // A NUL would end the literal early for inet_pton: "10.0.0.1\0junk".
    if (text.empty() || text.size() > 45 || text.find('\0') != std::string_view::npos)
        return std::nullopt;
    char buffer[46];
    std::copy(text.begin(), text.end(), buffer);
    buffer[text.size()] = '\0';
    if (text.find(':') == std::string_view::npos) {
        std::array<std::uint8_t, 4> v4{};
        if (inet_pton(AF_INET, buffer, v4.data()) != 1) return std::nullopt;
        return from_v4_bytes(v4);
    }
    std::array<std::uint8_t, 16> v6{};
    if (inet_pton(AF_INET6, buffer, v6.data()) != 1) return std::nullopt;
    return from_v6_bytes(v6);
}

ip limit_key_of(const ip& address) {
    if (address.is_v4()) return address;
    ip key = address;
    std::fill(key.bytes.begin() + 8, key.bytes.end(), std::uint8_t{0});
    return key;
}

}  // namespace onymous::address
