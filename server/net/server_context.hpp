#pragma once
// What every connection of the daemon shares: settings, the sessions'
// context (matcher, resume tokens), the TLS context, the workers and the
// counters behind /metrics. Built by app/daemon.cpp; read-only after
// start-up except for the atomics.

#include "net/worker.hpp"

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
    std::atomic<std::uint64_t> close_deadline_aborts_total{0};  ///< closes that timed out
};

struct server_context {
    server_context(const config::settings& s, session::session_context& sc,
                   boost::asio::ssl::context* t, std::vector<std::unique_ptr<worker>>& w)
        : settings(s), sessions(sc), matcher(sc.matcher), tls(t), workers(w) {}

    const config::settings& settings;
    session::session_context& sessions;
    match::matcher& matcher;
    boost::asio::ssl::context* tls = nullptr;  ///< null when no listener uses TLS
    std::vector<std::unique_ptr<worker>>& workers;
    counters stats;
    std::atomic<bool> shutting_down{false};

    /// The worker that takes the next connection (round-robin).
    worker& next_worker() {
        return *workers[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers.size()];
    }

private:
    std::atomic<std::size_t> next_worker_{0};
};

/// Holds one place in counters::open_connections for as long as the
/// connection lives, whichever object owns it at the moment.
class connection_slot {
public:
    explicit connection_slot(std::atomic<std::uint64_t>& open) : open_(&open) {
        open_->fetch_add(1, std::memory_order_relaxed);
    }
    connection_slot(connection_slot&& other) noexcept
        : open_(std::exchange(other.open_, nullptr)) {}
    connection_slot& operator=(connection_slot&&) = delete;
    ~connection_slot() {
        if (open_) open_->fetch_sub(1, std::memory_order_relaxed);
    }

private:
    std::atomic<std::uint64_t>* open_;
};

}  // namespace onymous::net
