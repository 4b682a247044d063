#include "net/client_admission.hpp"

#include <onymous/address/forwarded_for.hpp>

#include <chrono>

namespace onymous::net {

address::ip to_ip(const boost::asio::ip::address& a) {
    if (a.is_v4()) return address::from_v4_bytes(a.to_v4().to_bytes());
    return address::from_v6_bytes(a.to_v6().to_bytes());
}

void client_admission::from_peer(const address::ip& peer, connection_slot& slot) {
    if (!slot.config().trusted_proxies.contains(peer)) admit(peer, slot);
}

void client_admission::at_request(const address::ip& peer,
                                  std::span<const std::string_view> forwarded_for,
                                  connection_slot& slot) {
    if (counted_) return;
    admit(address::client_behind_proxies(peer, forwarded_for, slot.config().trusted_proxies), slot);
}

void client_admission::admit(const address::ip& client, connection_slot& slot) {
    counted_ = true;
    if (!ctx_.addresses.enabled()) return;
    const auto now = std::chrono::steady_clock::now();
    address::address_table::ticket ticket;
    const auto verdict = ctx_.addresses.try_admit(client, now, ticket);
    if (verdict == address::admission::admitted) {
        slot.hold(ctx_.addresses, ticket);
        return;
    }
    auto& refusals = verdict == address::admission::too_many_open
                         ? ctx_.stats.refused_per_address_open_total
                         : ctx_.stats.refused_per_address_rate_total;
    refusals.fetch_add(1, std::memory_order_relaxed);
    retry_after_ = ctx_.addresses.retry_after_seconds(verdict, client, now);
}

}  // namespace onymous::net
