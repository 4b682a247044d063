#pragma once
// A connection's one timer, decided in pure code: a ping every
// limits.ping_interval, the connection treated as dropped after
// limits.idle_timeout without any frame, and, once it is closing, the close
// deadline past which the socket is aborted (every close has a deadline).
// The connection arms its timer at wake_at() and asks decide() when it fires.

#include <chrono>
#include <cstdint>
#include <optional>

namespace onymous::connection {

class keepalive {
public:
    using clock = std::chrono::steady_clock;

    enum class action : std::uint8_t {
        wait,        ///< nothing due: re-arm at wake_at()
        ping,        ///< send a ping, then re-arm
        close_idle,  ///< no frame for idle_timeout: a drop for the session (1001)
        abort,       ///< the close deadline passed: abort the socket
    };

    keepalive(std::chrono::milliseconds ping_interval, std::chrono::milliseconds idle_timeout)
        : ping_interval_(ping_interval), idle_timeout_(idle_timeout) {}

    /// The connection opened, or a frame of any kind came in.
    void activity(clock::time_point now);
    /// The connection began to close: from now on only the deadline counts.
    void closing(clock::time_point deadline) { close_deadline_ = deadline; }
    bool is_closing() const { return close_deadline_.has_value(); }

    /// What is due at `now` (the timer fired). A ping moves the next one.
    action decide(clock::time_point now);
    /// When the timer should fire next.
    clock::time_point wake_at() const;

private:
    std::chrono::milliseconds ping_interval_;
    std::chrono::milliseconds idle_timeout_;
    clock::time_point last_activity_{};
    clock::time_point next_ping_{};
    std::optional<clock::time_point> close_deadline_;
};

}  // namespace onymous::connection
