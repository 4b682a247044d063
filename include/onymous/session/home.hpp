#pragma once
// Where a session lives: the one thread that runs all of its handlers (its
// "home"), timers on that thread, and the set of sessions living there.
// The daemon's worker implements it with an io_context run by one thread;
// the unit tests with a queue they run by hand and a manual clock. No Asio
// here: the session layer stays free of sockets and event loops.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

namespace onymous::session {

class signaling_session;

/// A one-shot timer on a home's thread. Destroying it cancels it.
class timer {
public:
    virtual ~timer() = default;
    /// (Re)arms the timer; a pending callback is cancelled and never runs.
    virtual void start(std::chrono::milliseconds after, std::function<void()> fn) = 0;
    /// The pending callback, if any, never runs.
    virtual void cancel() = 0;
};

class home {
public:
    virtual ~home() = default;
    /// True on the thread that runs this home's handlers.
    virtual bool running_in_this_thread() const = 0;
    /// Runs `fn` on the home's thread, after the handlers posted before it.
    virtual void post(std::function<void()> fn) = 0;
    virtual std::unique_ptr<timer> make_timer() = 0;

    /// The live sessions of this home (for draining and shutdown). Only
    /// touched on the home's thread.
    std::unordered_map<signaling_session*, std::weak_ptr<signaling_session>>& sessions() {
        return sessions_;
    }

    /// Resume history bytes of this home's sessions (/metrics); a counter of
    /// its own per home, so that no line is shared on the relay path.
    std::atomic<std::uint64_t>& history_gauge() { return history_bytes_; }
    std::uint64_t history_bytes() const { return history_bytes_.load(std::memory_order_relaxed); }

private:
    std::unordered_map<signaling_session*, std::weak_ptr<signaling_session>> sessions_;
    std::atomic<std::uint64_t> history_bytes_{0};
};

}  // namespace onymous::session
