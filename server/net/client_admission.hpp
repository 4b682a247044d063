#pragma once
// Which client a connection counts as for the per-address limits, and
// whether it may stay (PROTOCOL.md, Transport; docs/architecture.md,
// Per-address limits).
//
// A connection straight from a client is counted as soon as its address is
// known: at accept, or after the PROXY header. One from a trusted proxy
// waits for its request, whose X-Forwarded-For names the client. A refused
// connection still gets its 503 after the request is read; until then it
// holds no place in the table.
//
// The address lives here only while the handshake runs; what stays is the
// table's keyed hash (connection_slot). Nothing here is ever logged.

#include "net/server_context.hpp"

#include <onymous/address/ip.hpp>

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace onymous::net {

/// The address as the address leaf holds it (IPv4-mapped IPv6 as IPv4).
address::ip to_ip(const boost::asio::ip::address& a);

class client_admission {
public:
    /// Trusts the proxies of the configuration the slot's connection was
    /// accepted under.
    explicit client_admission(server_context& ctx) : ctx_(ctx) {}

    /// The connection comes from `peer` (the socket's peer, or the PROXY
    /// header's source). Unless it is a trusted proxy, it is counted now.
    void from_peer(const address::ip& peer, connection_slot& slot);

    /// The request from `peer` (as given to from_peer) has arrived with
    /// these X-Forwarded-For lines: a connection from a trusted proxy is
    /// counted now, as the client they name.
    void at_request(const address::ip& peer, std::span<const std::string_view> forwarded_for,
                    connection_slot& slot);

    /// Set when the client is over a limit: the Retry-After seconds.
    std::optional<std::uint64_t> refused() const { return retry_after_; }

private:
    void admit(const address::ip& client, connection_slot& slot);

    server_context& ctx_;
    bool counted_ = false;
    std::optional<std::uint64_t> retry_after_;
};

}  // namespace onymous::net
