#pragma once
// What every connection of the daemon shares: the settings snapshot (with
// its TLS context), the sessions' context (matcher, resume tokens), the
// workers and the counters behind /metrics. Built by app/daemon.cpp.
//
// A reload (SIGHUP) swaps the snapshot atomically: a connection takes the
// current one when it is accepted and keeps it to its end, so a new
// certificate or limit applies to new connections and never changes one
// mid-way (docs/operations.md, Reload).

#include "net/worker.hpp"

#include <onymous/address/address_table.hpp>
#include <onymous/address/network.hpp>
#include <onymous/config/config.hpp>
#include <onymous/match/matcher.hpp>
#include <onymous/session/signaling_session.hpp>

#include <boost/asio/ssl/context.hpp>

#include <array>
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
    std::atomic<std::uint64_t> close_deadline_aborts_total{0};     ///< closes that timed out
    std::atomic<std::uint64_t> refused_per_address_open_total{0};  ///< 503: too many open
    std::atomic<std::uint64_t> refused_per_address_rate_total{0};  ///< 503: too many new
    std::atomic<std::uint64_t> proxy_header_failures_total{0};     ///< closed unanswered
    std::atomic<std::uint64_t> refused_capacity_total{0};          ///< 503: over max_connections
    std::atomic<std::uint64_t> refused_draining_total{0};          ///< 503: shutting down
    /// Handshake failures by cause.
    std::atomic<std::uint64_t> tls_handshake_failures_total{0};
    std::atomic<std::uint64_t> http_failures_total{0};  ///< malformed requests (400)
    std::atomic<std::uint64_t> websocket_handshake_failures_total{0};
    std::atomic<std::uint64_t> handshake_timeouts_total{0};
    /// WebSocket connections ended, by close code (close_codes below).
    std::array<std::atomic<std::uint64_t>, 11> closes_total{};
    std::atomic<std::uint64_t> reloads_ok_total{0};
    std::atomic<std::uint64_t> reloads_failed_total{0};
    std::atomic<bool> last_reload_ok{true};
    /// Event loops that have not answered a heartbeat lately (app/loop_monitor).
    std::atomic<std::uint64_t> stalled_loops{0};
};

/// The codes closes_total counts; the last slot takes any other.
/// 1006: the connection ended without a close frame.
inline constexpr std::array<std::uint16_t, 10> close_codes{1000, 1001, 1002, 1003, 1006,
                                                           1007, 1008, 1009, 1011, 4000};

inline std::size_t close_slot(std::uint16_t code) {
    for (std::size_t i = 0; i < close_codes.size(); ++i)
        if (close_codes[i] == code) return i;
    return close_codes.size();
}

/// One configuration as the connections see it; immutable once built.
struct connection_snapshot {
    config::settings settings;
    /// Null when no listener uses TLS.
    std::shared_ptr<boost::asio::ssl::context> tls;
    /// Whose X-Forwarded-For is believed (settings.trusted_proxies).
    address::network_set trusted_proxies;
    /// What the connection's session starts with (the same configuration).
    std::shared_ptr<const session::session_snapshot> sessions;
    /// The certificate's notAfter (Unix seconds), for /metrics; 0 without TLS.
    std::int64_t certificate_not_after = 0;
};

struct server_context {
    server_context(std::shared_ptr<const connection_snapshot> first, session::session_context& sc,
                   std::vector<std::unique_ptr<worker>>& w, address::address_table& a)
        : startup(first),
          settings(startup->settings),
          sessions(sc),
          matcher(sc.matcher),
          workers(w),
          addresses(a),
          current_(std::move(first)) {}

    /// As the daemon started, kept for its whole run. Only what a reload
    /// never changes may be read here (listeners, threads, admin);
    /// everything else comes from snapshot().
    const std::shared_ptr<const connection_snapshot> startup;
    const config::settings& settings;
    session::session_context& sessions;
    match::matcher& matcher;
    std::vector<std::unique_ptr<worker>>& workers;
    address::address_table& addresses;  ///< per-address limits, shared by the workers
    counters stats;
    std::atomic<bool> shutting_down{false};
    /// Set once every listener listens (/readyz).
    std::atomic<bool> listening{false};

    /// The configuration a new connection takes. Any thread.
    std::shared_ptr<const connection_snapshot> snapshot() const { return current_.load(); }
    /// A reload: connections accepted from now on get `next`.
    void replace(std::shared_ptr<const connection_snapshot> next) {
        current_.store(std::move(next));
    }

    /// The worker that takes the next connection (round-robin).
    worker& next_worker() {
        return *workers[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers.size()];
    }

private:
    std::atomic<std::size_t> next_worker_{0};
    std::atomic<std::shared_ptr<const connection_snapshot>> current_;
};

/// What a connection holds for its whole life, whichever object owns it at
/// the moment: its place in counters::open_connections, once the client is
/// admitted its place in the per-address table, and the configuration it
/// was accepted under.
class connection_slot {
public:
    connection_slot(std::atomic<std::uint64_t>& open,
                    std::shared_ptr<const connection_snapshot> config)
        : open_(&open), config_(std::move(config)) {
        open_->fetch_add(1, std::memory_order_relaxed);
    }
    connection_slot(connection_slot&& other) noexcept
        : open_(std::exchange(other.open_, nullptr)),
          table_(std::exchange(other.table_, nullptr)),
          ticket_(other.ticket_),
          config_(std::move(other.config_)) {}
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

    const connection_snapshot& config() const { return *config_; }
    const config::limits_settings& limits() const { return config_->settings.limits; }

private:
    std::atomic<std::uint64_t>* open_;
    address::address_table* table_ = nullptr;
    address::address_table::ticket ticket_;
    std::shared_ptr<const connection_snapshot> config_;
};

}  // namespace onymous::net
