#include <onymous/address/proxy_v2.hpp>

#include <algorithm>
#include <array>

namespace onymous::address::proxy_v2 {

namespace {

constexpr std::array<std::uint8_t, 12> signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

constexpr std::uint8_t command_local = 0x0;
constexpr std::uint8_t command_proxy = 0x1;

enum family : std::uint8_t { unspec = 0x0, inet = 0x1, inet6 = 0x2, unix_socket = 0x3 };

/// Source, destination, source port, destination port.
constexpr std::size_t inet_block_bytes = 4 + 4 + 2 + 2;
constexpr std::size_t inet6_block_bytes = 16 + 16 + 2 + 2;
constexpr std::size_t unix_block_bytes = 108 + 108;

/// UNSPEC, and TCP or UDP over IPv4, IPv6 or UNIX sockets.
bool is_defined_family(std::uint8_t family_and_transport) {
    switch (family_and_transport) {
    case 0x00:
    case 0x11:
    case 0x12:
    case 0x21:
    case 0x22:
    case 0x31:
    case 0x32: return true;
    default: return false;
    }
}

}  // namespace

std::variant<std::size_t, failure> rest_length(std::span<const std::uint8_t, fixed_bytes> fixed) {
    if (!std::equal(signature.begin(), signature.end(), fixed.begin()))
        return failure{"no PROXY v2 signature"};
    const std::uint8_t version = fixed[12] >> 4;
    const std::uint8_t command = fixed[12] & 0x0F;
    if (version != 2) return failure{"not PROXY protocol version 2"};
    if (command != command_local && command != command_proxy)
        return failure{"unknown PROXY v2 command"};
    // LOCAL ignores the family byte; PROXY takes only the combinations the
    // spec defines, and must reject the rest.
    if (command == command_proxy && !is_defined_family(fixed[13]))
        return failure{"unknown PROXY v2 family or transport"};
    const std::size_t length = (std::size_t{fixed[14]} << 8) | fixed[15];
    if (length > max_rest_bytes) return failure{"PROXY v2 header too long"};
    return length;
}

std::variant<header, failure> parse(std::span<const std::uint8_t> whole) {
    if (whole.size() < fixed_bytes) return failure{"truncated PROXY v2 header"};
    const auto length = rest_length(whole.first<fixed_bytes>());
    if (const auto* refused = std::get_if<failure>(&length)) return *refused;
    if (whole.size() != fixed_bytes + std::get<std::size_t>(length))
        return failure{"PROXY v2 length does not match"};

    const std::span<const std::uint8_t> block = whole.subspan(fixed_bytes);
    // LOCAL: the balancer speaking for itself (a health check); its
    // address block, if any, means nothing.
    if ((whole[12] & 0x0F) == command_local) return header{};
    switch (whole[13] >> 4) {
    case inet: {
        if (block.size() < inet_block_bytes) return failure{"short PROXY v2 IPv4 addresses"};
        std::array<std::uint8_t, 4> source{};
        std::copy_n(block.begin(), source.size(), source.begin());
        return header{from_v4_bytes(source)};
    }
    case inet6: {
        if (block.size() < inet6_block_bytes) return failure{"short PROXY v2 IPv6 addresses"};
        std::array<std::uint8_t, 16> source{};
        std::copy_n(block.begin(), source.size(), source.begin());
        return header{from_v6_bytes(source)};
    }
    case unix_socket:
        if (block.size() < unix_block_bytes) return failure{"short PROXY v2 UNIX addresses"};
        return header{};
    default:  // UNSPEC: the connection's own address stands
        return header{};
    }
}

}  // namespace onymous::address::proxy_v2
