#include <onymous/address/network.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace onymous::address {

namespace {

/// `address` with every bit past `prefix` cleared.
ip masked(ip address, unsigned prefix) {
    for (unsigned bit = prefix; bit < 128; ++bit)
        address.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
    return address;
}

}  // namespace

bool network::contains(const ip& address) const { return masked(address, prefix) == base; }

std::optional<network> parse_network(std::string_view cidr) {
    const auto slash = cidr.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto address = parse_ip(cidr.substr(0, slash));
    const std::string_view length = cidr.substr(slash + 1);
    if (!address || length.empty() || length.size() > 3) return std::nullopt;
    unsigned prefix = 0;
    for (const char c : length) {
        if (c < '0' || c > '9') return std::nullopt;
        prefix = prefix * 10 + static_cast<unsigned>(c - '0');
    }
    // An IPv4 literal's prefix counts from the end of the mapped prefix.
    const bool v4 = cidr.substr(0, slash).find(':') == std::string_view::npos;
    if (prefix > (v4 ? 32U : 128U)) return std::nullopt;
    if (v4) prefix += 96;
    return network{masked(*address, prefix), prefix};
}

network_set::network_set(const std::vector<std::string>& cidrs) {
    networks_.reserve(cidrs.size());
    for (const auto& cidr : cidrs) {
        const auto parsed = parse_network(cidr);
        if (!parsed) throw std::invalid_argument("not a network: " + cidr);
        networks_.push_back(*parsed);
    }
}

bool network_set::contains(const ip& address) const {
    return std::any_of(networks_.begin(), networks_.end(),
                       [&](const network& n) { return n.contains(address); });
}

}  // namespace onymous::address
