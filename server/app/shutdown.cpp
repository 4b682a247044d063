#include "app/shutdown.hpp"

#include <boost/asio/post.hpp>

namespace onymous::app {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto poll_period = std::chrono::milliseconds(25);
/// After the drain: how long the last closing handshakes may take.
constexpr auto last_close_grace = std::chrono::milliseconds(1000);
/// After stopping: how long the loops get to run out of work.
constexpr auto loop_grace = std::chrono::seconds(2);

}  // namespace

shutdown_sequence::shutdown_sequence(parts p)
    : parts_(std::move(p)), timer_(parts_.workers.front()->io()) {}

shutdown_sequence::~shutdown_sequence() {
    if (stopper_.joinable()) {
        {
            const std::lock_guard lock(stop_mutex_);
            loops_returned_ = true;
        }
        stop_cv_.notify_all();
        stopper_.join();
    }
}

void shutdown_sequence::begin_drain() {
    if (current() != phase::running) return;
    enter(phase::draining);
    parts_.notifier.stopping();
    parts_.server.shutting_down.store(true);
    parts_.sessions.draining.store(true, std::memory_order_release);
    for (auto& l : parts_.listeners) l->stop();
    for (auto& w : parts_.workers) {
        asio::post(w->io(), [w = w.get()] {
            for (auto& s : sessions_of(*w)) s->drain();
            w->abort_connections_in_handshake();
        });
    }
    // The drain's deadline bounds the whole shutdown, closing handshakes
    // included: supervisors kill what outlasts their stop grace.
    deadline_ = std::chrono::steady_clock::now() + parts_.drain_timeout.load();
    wait_until([this] { return nothing_left(); },
               [this] {
                   if (nothing_left())
                       stop_now();
                   else
                       close_paired();
               });
}

void shutdown_sequence::close_paired() {
    enter(phase::closing);
    for (auto& w : parts_.workers) {
        asio::post(w->io(), [w = w.get()] {
            for (auto& s : sessions_of(*w)) s->abort(protocol::close_code::going_away);
        });
    }
    const auto close_timeout = parts_.server.snapshot()->settings.limits.close_timeout;
    deadline_ = std::chrono::steady_clock::now() +
                std::min<std::chrono::milliseconds>(close_timeout, last_close_grace);
    wait_until([this] { return parts_.server.stats.open_connections.load() == 0; },
               [this] { stop_now(); });
}

void shutdown_sequence::stop_now() {
    const auto was = current();
    if (was == phase::stopping || was == phase::stopped) return;
    enter(phase::stopping);
    parts_.sessions.draining.store(true, std::memory_order_release);
    parts_.server.shutting_down.store(true);
    for (auto& l : parts_.listeners) l->stop();
    timer_.cancel();
    parts_.cancel_timers();
    asio::post(parts_.control, parts_.stop_control);
    for (auto& w : parts_.workers) {
        asio::post(w->io(), [w = w.get()] {
            for (auto& s : sessions_of(*w)) s->abort(protocol::close_code::going_away);
            w->abort_connections();
            w->release();
        });
    }
    // Aborted sockets complete at once; a loop that still has work after
    // this is abandoned (what it held is destroyed in order, by the daemon).
    stopper_ = std::thread([this] {
        std::unique_lock lock(stop_mutex_);
        if (!stop_cv_.wait_for(lock, loop_grace, [this] { return loops_returned_; })) {
            for (auto& w : parts_.workers) w->stop();
            parts_.control.stop();  // e.g. a scrape that never sends its request
        }
    });
}

void shutdown_sequence::after_loops() {
    {
        const std::lock_guard lock(stop_mutex_);
        loops_returned_ = true;
    }
    stop_cv_.notify_all();
    if (stopper_.joinable()) stopper_.join();
    // No thread runs any loop any more: sessions left in an abandoned loop
    // are ended here, before the matcher goes.
    for (auto& w : parts_.workers)
        for (auto& s : sessions_of(*w)) s->end_now();
    enter(phase::stopped);
}

void shutdown_sequence::wait_until(std::function<bool()> done, std::function<void()> next) {
    timer_.expires_after(poll_period);
    timer_.async_wait(
        [this, done = std::move(done), next = std::move(next)](error_code ec) mutable {
            if (ec) return;
            if (!done() && std::chrono::steady_clock::now() < deadline_) {
                wait_until(std::move(done), std::move(next));
                return;
            }
            next();
        });
}

bool shutdown_sequence::nothing_left() const {
    return parts_.sessions.counters.live.load() == 0 &&
           parts_.server.stats.open_connections.load() == 0;
}

std::vector<std::shared_ptr<session::signaling_session>> shutdown_sequence::sessions_of(
    net::worker& w) {
    std::vector<std::shared_ptr<session::signaling_session>> live;
    for (auto& [raw, weak] : w.sessions())
        if (auto s = weak.lock()) live.push_back(std::move(s));
    return live;
}

}  // namespace onymous::app
