#include "net/client_admission.hpp"

#include <onymous/address/forwarded_for.hpp>

#include <chrono>

namespace onymous::net {

address::ip to_ip(const boost::asio::ip::address& a) {
    if (a.is_v4()) return address::from_v4_bytes(a.to_v4().to_bytes());
    return address::from_v6_bytes(a.to_v6().to_bytes());
}

std::optional<refusal> client_admission::daemon_refusal(const connection_slot& slot) const {
    if (ctx_.shutting_down.load(std::memory_order_relaxed)) return refusal::draining;
    // places_taken counts this connection, and every session in its grace.
    if (ctx_.stats.places_taken.load(std::memory_order_relaxed) > slot.limits().max_connections)
        return refusal::capacity;
    if (ctx_.sessions.budget.nearly_full()) return refusal::overloaded;
    return std::nullopt;
}

std::optional<refusal> client_admission::admit(const address::ip& client, connection_slot& slot) {
    // Every path that names the client passes here (at accept, after the
    // PROXY header, after X-Forwarded-For): the session gets the abuse
    // controls' hash of it, never the address.
    slot.set_address_hash(ctx_.sessions.abuse.hash(client, std::chrono::system_clock::now()));
    if (!ctx_.addresses.enabled()) return std::nullopt;
    const auto now = std::chrono::steady_clock::now();
    address::address_table::ticket ticket;
    const auto verdict = ctx_.addresses.try_admit(client, now, ticket);
    if (verdict == address::admission::admitted) {
        slot.hold(ctx_.addresses, ticket);
        return std::nullopt;
    }
    retry_after_ = ctx_.addresses.retry_after_seconds(verdict, client, now);
    return verdict == address::admission::too_many_open ? refusal::per_address_open
                                                        : refusal::per_address_rate;
}

address::ip client_admission::forwarded_client(const address::ip& peer,
                                               std::span<const std::string_view> forwarded_for,
                                               const connection_slot& slot) const {
    return address::client_behind_proxies(peer, forwarded_for, slot.config().trusted_proxies);
}

}  // namespace onymous::net
