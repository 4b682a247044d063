#include <onymous/config/load.hpp>
#include <onymous/connection/read_buffer.hpp>

#include <fmt/format.h>

namespace onymous::config {

namespace {

bool is_loopback(const std::string& address) {
    return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

}  // namespace

std::vector<std::string> warnings(const settings& s) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < s.listeners.size(); ++i) {
        const listener& l = s.listeners[i];
        // A plain listener on loopback is where nginx or another TLS
        // terminator forwards to; without trusted_proxies every client is
        // counted as the proxy's one address.
        if (!l.tls && !l.proxy_protocol && l.fd_name.empty() && is_loopback(l.address) &&
            s.trusted_proxies.empty()) {
            out.push_back(fmt::format(
                "listeners[{}] ({} port {}) is plain on loopback, as behind a TLS-terminating "
                "proxy, but trusted_proxies is empty: X-Forwarded-For is ignored and every "
                "client counts as the proxy's address for the per-address limits",
                i, l.address, l.port));
        }
        // PROXY headers are believed from anyone then: a client that can
        // reach the port directly chooses its own address for the limits.
        if (l.proxy_protocol && s.trusted_proxies.empty()) {
            out.push_back(fmt::format(
                "listeners[{}] ({} port {}) has proxy_protocol: true but trusted_proxies is "
                "empty: a PROXY header is believed from any peer, so a client that reaches this "
                "port directly chooses its own address for the per-address limits; list the "
                "load balancers in trusted_proxies",
                i, l.address, l.port));
        }
    }
    const std::uint64_t offers = s.limits.pair_max_offers * s.limits.max_sdp_bytes;
    if (offers > s.limits.max_outbound_bytes) {
        out.push_back(fmt::format(
            "limits.pair_max_offers x limits.max_sdp_bytes ({} x {} = {} bytes) exceeds "
            "limits.max_outbound_bytes ({}): a partner within its per-pairing caps can fill a "
            "slow reader's outbound queue and have it closed with 1008",
            s.limits.pair_max_offers, s.limits.max_sdp_bytes, offers, s.limits.max_outbound_bytes));
    }
    // Each open connection holds its next read's first bytes in the budget.
    // Held by many idle connections, they can take it into its 90 % band
    // (newcomers refused, /readyz 503), where no eviction helps: none of
    // them holds enough to be chosen.
    const std::uint64_t idle = s.limits.max_connections * connection::first_read_bytes;
    if (idle > s.limits.max_buffered_bytes / 2) {
        out.push_back(fmt::format(
            "limits.max_connections x {} bytes (what each connection holds for its next message) "
            "= {} bytes is more than half of limits.max_buffered_bytes ({}): idle connections "
            "alone can bring the budget near its 90 % mark, where newcomers are refused",
            connection::first_read_bytes, idle, s.limits.max_buffered_bytes));
    }
    return out;
}

}  // namespace onymous::config
