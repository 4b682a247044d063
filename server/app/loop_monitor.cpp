#include "app/loop_monitor.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace onymous::app {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds default_period{250};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
        .count();
}

}  // namespace

loop_monitor::loop_monitor(asio::io_context& control,
                           std::vector<std::unique_ptr<net::worker>>& workers,
                           const systemd_notifier& notifier,
                           std::atomic<std::uint64_t>& stalled_loops,
                           std::function<std::string()> status_line)
    : workers_(workers),
      notifier_(notifier),
      stalled_loops_(stalled_loops),
      status_line_(std::move(status_line)),
      timer_(control),
      // Four beats per watchdog keep-alive period, so that a healthy loop's
      // last answer is never older than that period for scheduling alone.
      period_(
          notifier.watchdog_interval().count() > 0
              ? std::min<std::chrono::nanoseconds>(default_period, notifier.watchdog_interval() / 8)
              : std::chrono::nanoseconds(default_period)) {}

void loop_monitor::start() {
    const auto now = now_ns();
    for (auto& w : workers_) w->last_beat().store(now, std::memory_order_relaxed);
    next_watchdog_ = next_status_ = steady::now();
    tick();
}

void loop_monitor::stop() {
    stopped_ = true;
    timer_.cancel();
}

std::size_t loop_monitor::older_than(std::chrono::nanoseconds age, std::int64_t now) const {
    return static_cast<std::size_t>(std::count_if(workers_.begin(), workers_.end(), [&](auto& w) {
        return now - w->last_beat().load(std::memory_order_relaxed) > age.count();
    }));
}

void loop_monitor::tick() {
    if (stopped_) return;
    // One heartbeat in flight per loop: a wedged loop does not pile them up.
    for (auto& w : workers_) {
        if (w->beat_queued().exchange(true, std::memory_order_relaxed)) continue;
        asio::post(w->io(), [w = w.get()] {
            w->last_beat().store(now_ns(), std::memory_order_relaxed);
            w->beat_queued().store(false, std::memory_order_relaxed);
        });
    }
    const auto now = now_ns();
    stalled_loops_.store(older_than(stall_after, now), std::memory_order_relaxed);

    const auto clock_now = steady::now();
    const auto watchdog = notifier_.watchdog_interval();
    // Keep-alives at half the watchdog period, and only while every loop
    // answered within it: systemd restarts the service after a whole one.
    if (watchdog.count() > 0 && clock_now >= next_watchdog_) {
        next_watchdog_ = clock_now + watchdog / 2;
        if (older_than(watchdog / 2, now) == 0) notifier_.watchdog();
    }
    if (clock_now >= next_status_) {
        next_status_ = clock_now + status_period;
        notifier_.status(status_line_());
    }
    timer_.expires_after(period_);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) tick();
    });
}

}  // namespace onymous::app
