#pragma once
// Networks in CIDR notation (trusted_proxies, ice.relay_networks) and the
// test "is this address inside one of them". Pure.

#include <onymous/address/ip.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::address {

struct network {
    ip base;              ///< host bits zero
    unsigned prefix = 0;  ///< in bits of the 16-byte form: IPv4 /n is 96 + n

    bool contains(const ip& address) const;
};

/// "10.0.0.0/8", "2001:db8::/32". Host bits past the prefix are cleared
/// (the config loader refuses them before this is reached). nullopt when
/// malformed.
std::optional<network> parse_network(std::string_view cidr);

class network_set {
public:
    network_set() = default;
    /// Every entry must parse (the config has checked them); throws
    /// std::invalid_argument naming the first that does not.
    explicit network_set(const std::vector<std::string>& cidrs);

    bool empty() const { return networks_.empty(); }
    bool contains(const ip& address) const;

private:
    std::vector<network> networks_;
};

}  // namespace onymous::address
