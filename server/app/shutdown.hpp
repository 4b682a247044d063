#pragma once
// Shutdown as one object with explicit phases, after Envoy's
// DrainManagerImpl (PROTOCOL.md, Draining; docs/architecture.md, Shutdown
// and destruction):
//
//   running ──SIGTERM──► draining ──every session and connection gone──────┐
//                          │ shutdown.drain_timeout                          │
//                          ▼                                                 ▼
//                       closing ──connections gone, or close_timeout ≤ 1 s──► stopping
//   (a second signal: from any phase straight to stopping)
//
//   draining: stop accepting, /readyz fails, every session hears `draining`;
//             idle and waiting ones close now, paired ones when their pairing ends.
//   closing:  the paired sessions left are closed (1001); their closing
//             handshakes get a last short while.
//   stopping: whatever is left is aborted and every loop released; a loop
//             still busy two seconds later is stopped.
//   stopped:  every loop has returned (main thread): the sessions an
//             abandoned loop held are ended, before the matcher goes.
//
// The phases up to stopping run on worker 0's loop, whose timer polls the
// gauges; stopped runs on the main thread.

#include "app/systemd.hpp"
#include "net/listener.hpp"
#include "net/server_context.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace onymous::app {

class shutdown_sequence {
public:
    enum class phase : std::uint8_t { running, draining, closing, stopping, stopped };

    /// What a shutdown acts on; all of it outlives this object.
    struct parts {
        net::server_context& server;
        session::session_context& sessions;
        std::vector<std::unique_ptr<net::worker>>& workers;
        std::vector<std::shared_ptr<net::listener>>& listeners;
        const systemd_notifier& notifier;
        const std::atomic<std::chrono::milliseconds>& drain_timeout;
        boost::asio::io_context& control;
        /// Stops what lives on the control thread (admin endpoint, loop
        /// monitor, SIGHUP); posted there when stopping.
        std::function<void()> stop_control;
        /// Cancels the daemon's own timers and signals on worker 0.
        std::function<void()> cancel_timers;
    };

    explicit shutdown_sequence(parts p);
    ~shutdown_sequence();
    shutdown_sequence(const shutdown_sequence&) = delete;
    shutdown_sequence& operator=(const shutdown_sequence&) = delete;

    /// SIGTERM or SIGINT, on worker 0: running → draining.
    void begin_drain();
    /// A second signal, or a phase that is done, on worker 0: → stopping.
    void stop_now();
    /// Main thread, once every worker's run() has returned: → stopped.
    void after_loops();

    phase current() const { return phase_.load(); }

private:
    void enter(phase p) { phase_.store(p); }
    void close_paired();
    /// Polls `done` until it holds or the phase's deadline passes, then runs `next`.
    void wait_until(std::function<bool()> done, std::function<void()> next);
    bool nothing_left() const;
    /// The live sessions of `w` (on w's thread).
    static std::vector<std::shared_ptr<session::signaling_session>> sessions_of(net::worker& w);

    parts parts_;
    std::atomic<phase> phase_{phase::running};
    boost::asio::steady_timer timer_;  ///< on worker 0
    std::chrono::steady_clock::time_point deadline_{};

    std::thread stopper_;  ///< stops loops that do not run out of work
    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    bool loops_returned_ = false;
};

}  // namespace onymous::app
