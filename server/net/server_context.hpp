#pragma once
// What every connection of the daemon shares: settings, the sessions'
// context (matcher, resume tokens), the TLS context, the workers and the
// counters behind /metrics. Built by app/daemon.cpp; read-only after
// start-up except for the atomics.

#include "net/worker.hpp"

#include <onymous/address/address_table.hpp>
#include <onymous/address/network.hpp>
#include <onymous/config/config.hpp>
#include <onymous/match/matcher.hpp>
#include <onymous/session/signaling_session.hpp>

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace onymous::net {

/// Counters for /metrics, updated with relaxed atomics.
struct counters {
    std::atomic<std::uint64_t> open_connections{0};       ///< accepted, not yet closed
    std::atomic<std::uint64_t> websocket_connections{0};  ///< upgraded, not yet closed
    std::atomic<std::uint64_t> accepted_total{0};
    std::atomic<std::uint64_t> refused_at_accept_total{0};  ///< far over the cap: closed unanswered
    std::atomic<std::uint64_t> http_403_total{0};
    std::atomic<std::uint64_t> http_404_total{0};
    std::atomic<std::uint64_t> http_503_total{0};
    std::atomic<std::uint64_t> handshake_failures_total{0};
    std::atomic<std::uint64_t> close_deadline_aborts_total{0};     ///< closes that timed out
    std::atomic<std::uint64_t> refused_per_address_open_total{0};  ///< 503: too many open
    std::atomic<std::uint64_t> refused_per_address_rate_total{0};  ///< 503: too many new
    std::atomic<std::uint64_t> proxy_header_failures_total{0};     ///< closed unanswered
};

struct server_context {
    server_context(const config::settings& s, session::session_context& sc,
                   boost::asio::ssl::context* t, std::vector<std::unique_ptr<worker>>& w,
                   address::address_table& a)
        : settings(s),
          sessions(sc),
          matcher(sc.matcher),
          tls(t),
          workers(w),
          addresses(a),
          trusted_proxies(s.trusted_proxies) {}

    const config::settings& settings;
    session::session_context& sessions;
    match::matcher& matcher;
    boost::asio::ssl::context* tls = nullptr;  ///< null when no listener uses TLS
    std::vector<std::unique_ptr<worker>>& workers;
    address::address_table& addresses;           ///< per-address limits, shared by the workers
    const address::network_set trusted_proxies;  ///< whose X-Forwarded-For is believed
    counters stats;
    std::atomic<bool> shutting_down{false};

    /// The worker that takes the next connection (round-robin).
    worker& next_worker() {
        return *workers[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers.size()];
    }

private:
    std::atomic<std::size_t> next_worker_{0};
};

/// Holds one place in counters::open_connections, and once the client is
/// admitted its place in the per-address table, for as long as the
/// connection lives, whichever object owns it at the moment.
class connection_slot {
public:
    explicit connection_slot(std::atomic<std::uint64_t>& open) : open_(&open) {
        open_->fetch_add(1, std::memory_order_relaxed);
    }
    connection_slot(connection_slot&& other) noexcept
        : open_(std::exchange(other.open_, nullptr)),
          table_(std::exchange(other.table_, nullptr)),
          ticket_(other.ticket_) {}
    connection_slot& operator=(connection_slot&&) = delete;
    ~connection_slot() {
        // The address first: once a connection no longer counts as open,
        // its client may connect again.
        if (table_) table_->release(ticket_, std::chrono::steady_clock::now());
        if (open_) open_->fetch_sub(1, std::memory_order_release);
    }

    /// Keeps `ticket` until the connection closes; once per connection.
    void hold(address::address_table& table, address::address_table::ticket ticket) {
        table_ = &table;
        ticket_ = ticket;
    }

private:
    std::atomic<std::uint64_t>* open_;
    address::address_table* table_ = nullptr;
    address::address_table::ticket ticket_;
};

}  // namespace onymous::net
