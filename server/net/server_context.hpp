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
#include <onymous/cluster/node_stats.hpp>
#include <onymous/config/config.hpp>
#include <onymous/match/matcher.hpp>
#include <onymous/session/signaling_session.hpp>

#include <boost/asio/ssl/context.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace onymous::net {

/// Why a connection was refused (onymous_refused_connections_total{reason}).
enum class refusal : std::uint8_t {
    capacity,          ///< at limits.max_connections
    hard_cap,          ///< far over it, before anything else: closed unanswered
    overloaded,        ///< above 90 % of limits.max_buffered_bytes
    draining,          ///< shutting down
    origin,            ///< an Origin not in allowed_origins (403)
    per_address_open,  ///< limits.max_connections_per_address
    per_address_rate,  ///< limits.new_connections_per_address_per_minute
    proxy_header,      ///< a missing, malformed, truncated or late PROXY v2 header
    untrusted_peer,    ///< a PROXY header expected from a peer not in trusted_proxies
};
inline constexpr std::array<std::string_view, 9> refusal_names{
    "capacity",         "hard_cap",         "overloaded",   "draining",      "origin",
    "per_address_open", "per_address_rate", "proxy_header", "untrusted_peer"};

/// Where it was refused (onymous_refused_connections_total{stage}): closed
/// right after accept, closed right after the PROXY header (both before TLS
/// and HTTP, nothing sent), or answered after the HTTP request (403, 503).
enum class refusal_stage : std::uint8_t { accept, proxy_header, request };
inline constexpr std::array<std::string_view, 3> refusal_stage_names{"accept", "proxy_header",
                                                                     "request"};

/// Counters for /metrics, updated with relaxed atomics.
struct counters {
    std::atomic<std::uint64_t> open_connections{0};  ///< accepted, not yet closed
    /// What limits.max_connections bounds: open connections, and sessions
    /// in their resume grace, each keeping its dropped connection's place.
    std::atomic<std::uint64_t> places_taken{0};
    std::atomic<std::uint64_t> websocket_connections{0};  ///< upgraded, not yet closed
    std::atomic<std::uint64_t> accepted_total{0};
    std::atomic<std::uint64_t> http_403_total{0};
    std::atomic<std::uint64_t> http_404_total{0};
    std::atomic<std::uint64_t> http_503_total{0};
    std::atomic<std::uint64_t> close_deadline_aborts_total{0};  ///< closes that timed out
    /// Refused connections, by reason and stage.
    std::array<std::array<std::atomic<std::uint64_t>, refusal_stage_names.size()>,
               refusal_names.size()>
        refused{};

    void count(refusal why, refusal_stage where) {
        refused[static_cast<std::size_t>(why)][static_cast<std::size_t>(where)].fetch_add(
            1, std::memory_order_relaxed);
    }
    /// Over every stage.
    std::uint64_t refused_total(refusal why) const {
        std::uint64_t sum = 0;
        for (const auto& n : refused[static_cast<std::size_t>(why)])
            sum += n.load(std::memory_order_relaxed);
        return sum;
    }
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
    /// Freed heap given back to the system after a load spike (app/heap_trimmer).
    std::atomic<std::uint64_t> heap_trims_total{0};
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
    match::matchmaker& matcher;
    std::vector<std::unique_ptr<worker>>& workers;
    address::address_table& addresses;  ///< per-address limits, shared by the workers
    counters stats;
    std::atomic<bool> shutting_down{false};
    /// Set once every listener listens (/readyz).
    std::atomic<bool> listening{false};
    /// Cluster mode: what the node counts, its degraded flag among them
    /// (/readyz, /metrics). Null in single-node mode. Set before the admin
    /// starts.
    const cluster::node_stats* cluster = nullptr;

    /// The configuration a new connection takes. Any thread.
    std::shared_ptr<const connection_snapshot> snapshot() const { return current_.load(); }
    /// A reload: connections accepted from now on get `next`.
    void replace(std::shared_ptr<const connection_snapshot> next) {
        current_.store(std::move(next));
    }

    /// Which of `workers` takes the next connection (round-robin).
    std::size_t next_worker_index() {
        return next_worker_.fetch_add(1, std::memory_order_relaxed) % workers.size();
    }

private:
    std::atomic<std::size_t> next_worker_{0};
    std::atomic<std::shared_ptr<const connection_snapshot>> current_;
};

/// A connection's place in the connection limits: its share of
/// counters::places_taken and, once its client is admitted, its place in
/// the per-address table. Released when destroyed, on whichever thread: by
/// the connection, or by the session that kept it through its resume grace.
/// Movable, so that a connection holds it by value and only a drop puts it
/// on the heap (connection_slot::hand_over_place): the accept loop then
/// allocates nothing per connection (net/connection_handoff.hpp says why).
class connection_place final : public session::place {
public:
    explicit connection_place(std::atomic<std::uint64_t>& places) : places_(&places) {
        places_->fetch_add(1, std::memory_order_relaxed);
    }
    connection_place(connection_place&& other) noexcept
        : places_(std::exchange(other.places_, nullptr)),
          table_(std::exchange(other.table_, nullptr)),
          ticket_(other.ticket_) {}
    connection_place& operator=(connection_place&&) = delete;
    ~connection_place() override { release(); }

    /// Keeps `ticket` until released; once per connection.
    void hold(address::address_table& table, address::address_table::ticket ticket) {
        table_ = &table;
        ticket_ = ticket;
    }
    /// Whether it still holds a place (not moved from, not released).
    bool held() const { return places_ != nullptr; }
    /// Gives the place back now; nothing once moved from or released.
    void release() {
        if (!places_) return;
        // The address first: once a place is free, its client may take it.
        if (table_) table_->release(ticket_, std::chrono::steady_clock::now());
        std::exchange(places_, nullptr)->fetch_sub(1, std::memory_order_release);
    }

private:
    std::atomic<std::uint64_t>* places_;
    address::address_table* table_ = nullptr;
    address::address_table::ticket ticket_;
};

/// What a connection holds for its whole life, whichever object owns it at
/// the moment: its share of counters::open_connections (its socket), its
/// place in the limits (which a drop hands to the session for its grace)
/// and the configuration it was accepted under.
class connection_slot {
public:
    connection_slot(counters& stats, std::shared_ptr<const connection_snapshot> config)
        : open_(&stats.open_connections), place_(stats.places_taken), config_(std::move(config)) {
        open_->fetch_add(1, std::memory_order_relaxed);
    }
    connection_slot(connection_slot&& other) noexcept
        : open_(std::exchange(other.open_, nullptr)),
          place_(std::move(other.place_)),
          config_(std::move(other.config_)),
          address_hash_(other.address_hash_) {}
    connection_slot& operator=(connection_slot&&) = delete;
    ~connection_slot() {
        place_.release();  // the place first: the client may connect again
        if (open_) open_->fetch_sub(1, std::memory_order_release);
    }

    /// Keeps `ticket` in the place; once per connection.
    void hold(address::address_table& table, address::address_table::ticket ticket) {
        place_.hold(table, ticket);
    }
    /// The client's address as the abuse controls name it (a keyed hash,
    /// abuse::controls::hash), once the client is known; 0 before.
    void set_address_hash(std::uint64_t h) { address_hash_ = h; }
    std::uint64_t address_hash() const { return address_hash_; }

    /// The place, for a session in its grace to keep; null after the first call.
    std::shared_ptr<session::place> hand_over_place() {
        if (!place_.held()) return nullptr;
        return std::make_shared<connection_place>(std::move(place_));
    }

    const connection_snapshot& config() const { return *config_; }
    const config::limits_settings& limits() const { return config_->settings.limits; }

private:
    std::atomic<std::uint64_t>* open_;
    connection_place place_;
    std::shared_ptr<const connection_snapshot> config_;
    std::uint64_t address_hash_ = 0;
};

}  // namespace onymous::net
