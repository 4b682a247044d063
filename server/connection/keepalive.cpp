#include <onymous/connection/keepalive.hpp>

#include <algorithm>

namespace onymous::connection {

void keepalive::activity(clock::time_point now) {
    // The first activity (the open) schedules the first ping; later ones
    // only push the idle timeout back: pings keep their own rhythm.
    if (last_activity_ == clock::time_point{}) next_ping_ = now + ping_interval_;
    last_activity_ = now;
}

keepalive::action keepalive::decide(clock::time_point now) {
    if (close_deadline_) return now >= *close_deadline_ ? action::abort : action::wait;
    if (now - last_activity_ >= idle_timeout_) return action::close_idle;
    if (now >= next_ping_) {
        next_ping_ = now + ping_interval_;
        return action::ping;
    }
    return action::wait;
}

keepalive::clock::time_point keepalive::wake_at() const {
    if (close_deadline_) return *close_deadline_;
    return std::min(next_ping_, last_activity_ + idle_timeout_);
}

}  // namespace onymous::connection
