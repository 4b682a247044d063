#pragma once
// Whether every worker's event loop still runs: a heartbeat posted to each
// loop, timed from the control thread. It drives /healthz and the systemd
// watchdog, so that one wedged loop (a handler that never returns) gets the
// service restarted even though the process and the other loops are fine.

#include "app/systemd.hpp"
#include "net/worker.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace onymous::app {

class loop_monitor {
public:
    /// A loop that has not answered for this long is stalled (/healthz).
    static constexpr std::chrono::milliseconds stall_after{2000};
    /// How often STATUS= is refreshed.
    static constexpr std::chrono::milliseconds status_period{2000};

    /// Runs on `control` (its own thread); `status_line` makes STATUS=.
    loop_monitor(boost::asio::io_context& control,
                 std::vector<std::unique_ptr<net::worker>>& workers,
                 const systemd_notifier& notifier, std::atomic<std::uint64_t>& stalled_loops,
                 std::function<std::string()> status_line);

    void start();
    /// Control thread only.
    void stop();

private:
    void tick();
    /// Loops whose last heartbeat is older than `age`.
    std::size_t older_than(std::chrono::nanoseconds age, std::int64_t now_ns) const;

    std::vector<std::unique_ptr<net::worker>>& workers_;
    const systemd_notifier& notifier_;
    std::atomic<std::uint64_t>& stalled_loops_;
    std::function<std::string()> status_line_;
    boost::asio::steady_timer timer_;
    std::chrono::nanoseconds period_;
    std::chrono::steady_clock::time_point next_watchdog_{};
    std::chrono::steady_clock::time_point next_status_{};
    bool stopped_ = false;
};

}  // namespace onymous::app
