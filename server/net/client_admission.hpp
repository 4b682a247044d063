#pragma once
// Whether a connection may stay, and which client it counts as for the
// per-address limits (PROTOCOL.md, Transport; docs/architecture.md,
// Per-address limits).
//
// Where the client is known before a byte is read, every limit is checked
// then and a refusal is a close: at accept for a direct client (a peer not in
// trusted_proxies), after the PROXY header for one behind a layer-4 proxy.
// A refusal then costs an accept and a close, not a TLS handshake. Behind a
// trusted HTTP proxy the client is named only by X-Forwarded-For, so it is
// checked once its request has arrived, and refused with 503.
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

/// Who is at the other end of a fresh connection, as far as is known at accept.
struct accepted_peer {
    address::ip address{};  ///< the TCP peer; never logged
    bool counted = false;   ///< already admitted as the client (a direct one)
};

class client_admission {
public:
    explicit client_admission(server_context& ctx) : ctx_(ctx) {}

    /// The daemon's own limits, whoever the client: shutting down,
    /// limits.max_connections (sessions in their grace count), above 90 % of
    /// limits.max_buffered_bytes.
    std::optional<refusal> daemon_refusal(const connection_slot& slot) const;

    /// Counts `client` against the per-address limits; the slot's place
    /// keeps it. The reason when over one (retry_after() then says when to
    /// come back).
    std::optional<refusal> admit(const address::ip& client, connection_slot& slot);

    /// Both, in that order: what a connection whose client is now known
    /// must pass.
    std::optional<refusal> check(const address::ip& client, connection_slot& slot) {
        if (auto why = daemon_refusal(slot)) return why;
        return admit(client, slot);
    }

    /// The client a request from trusted proxy `peer` stands for: the
    /// rightmost X-Forwarded-For address that is not a trusted proxy.
    address::ip forwarded_client(const address::ip& peer,
                                 std::span<const std::string_view> forwarded_for,
                                 const connection_slot& slot) const;

    /// Retry-After seconds of the last refusal.
    std::uint64_t retry_after() const { return retry_after_; }

private:
    server_context& ctx_;
    std::uint64_t retry_after_ = 10;
};

}  // namespace onymous::net
