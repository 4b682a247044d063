#pragma once
// One event-loop thread: an io_context run by exactly one thread. It is the
// home of the sessions created on it (session::home) and of the connections
// accepted onto it. A connection never leaves its worker, and a session
// never leaves its home, so their handlers need no strand; other threads
// reach them only by posting. A session resumed from a connection on
// another worker stays home: the two then talk by posting
// (docs/architecture.md, Session lifetime).

#include <onymous/session/home.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

namespace onymous::net {

/// A connection the worker can abort at shutdown.
class closable {
public:
    virtual ~closable() = default;
    /// Closes the socket now, without a closing handshake. Worker's thread.
    virtual void abort() = 0;
    /// Still in its TLS, HTTP or WebSocket opening handshake.
    virtual bool in_handshake() const = 0;
};

class worker final : public session::home {
public:
    worker();
    ~worker() override;

    boost::asio::io_context& io() { return io_; }

    /// Runs the loop on the calling thread until release() and no work is
    /// left. An exception escaping a handler is logged and counted, and the
    /// loop goes on: one connection's failure never stops the others.
    void run();
    /// Lets run() return once the outstanding work is done.
    void release() { guard_.reset(); }
    /// Abandons whatever is still queued: run() returns at once.
    void stop() { io_.stop(); }

    // session::home
    bool running_in_this_thread() const override;
    void post(std::function<void()> fn) override;
    std::unique_ptr<session::timer> make_timer() override;

    // Connections on this worker; only on this worker's thread.
    void add(closable* c, std::weak_ptr<closable> w) {
        connections_.insert_or_assign(c, std::move(w));
    }
    void remove(closable* c) { connections_.erase(c); }
    /// Bytes waiting in the outbound queues of this worker's connections,
    /// and the most any one queue has held since start (limits.max_outbound_bytes
    /// bounds it). Written on this worker's thread only, read by /metrics.
    void outbound_queued(std::size_t added, std::size_t connection_total) {
        outbound_bytes_.store(outbound_bytes_.load(std::memory_order_relaxed) + added,
                              std::memory_order_relaxed);
        if (connection_total > outbound_peak_.load(std::memory_order_relaxed))
            outbound_peak_.store(connection_total, std::memory_order_relaxed);
    }
    void outbound_sent(std::size_t removed) {
        outbound_bytes_.store(outbound_bytes_.load(std::memory_order_relaxed) - removed,
                              std::memory_order_relaxed);
    }
    std::uint64_t outbound_bytes() const { return outbound_bytes_.load(std::memory_order_relaxed); }
    std::uint64_t outbound_peak() const { return outbound_peak_.load(std::memory_order_relaxed); }

    /// The loop monitor's heartbeat (app/loop_monitor): when this loop last
    /// ran one, in steady-clock nanoseconds, and whether one is queued.
    std::atomic<std::int64_t>& last_beat() { return last_beat_; }
    std::atomic<bool>& beat_queued() { return beat_queued_; }

    /// Exceptions that escaped a handler and were caught by run().
    std::uint64_t loop_exceptions() const {
        return loop_exceptions_.load(std::memory_order_relaxed);
    }
    /// Aborts every connection (TLS/HTTP handshakes and WebSockets alike).
    void abort_connections();
    /// Aborts the connections still in their opening handshake (draining).
    void abort_connections_in_handshake();

private:
    // Declared before io_, so destroyed after it: handlers destroyed with
    // the io_context still remove their connections from this map.
    std::unordered_map<closable*, std::weak_ptr<closable>> connections_;
    std::atomic<std::uint64_t> loop_exceptions_{0};
    std::atomic<std::uint64_t> outbound_bytes_{0};
    std::atomic<std::uint64_t> outbound_peak_{0};
    std::atomic<std::int64_t> last_beat_{0};
    std::atomic<bool> beat_queued_{false};
    mutable boost::asio::io_context io_;  ///< mutable: running_in_this_thread() is const
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
};

}  // namespace onymous::net
