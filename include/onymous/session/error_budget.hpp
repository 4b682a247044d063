#pragma once
// limits.max_errors: how many refused messages a connection may cause within
// a sliding window before it is closed with 1008.

#include <chrono>
#include <cstdint>
#include <deque>

namespace onymous::session {

class error_budget {
public:
    using time_point = std::chrono::steady_clock::time_point;

    error_budget(std::uint64_t max_errors, std::chrono::milliseconds window)
        : max_errors_(max_errors), window_(window) {}

    /// Records one error at `now`; true when the budget is now spent.
    bool spend(time_point now) {
        while (!recent_.empty() && now - recent_.front() >= window_) recent_.pop_front();
        recent_.push_back(now);
        return recent_.size() >= max_errors_;
    }

private:
    std::uint64_t max_errors_;
    std::chrono::milliseconds window_;
    std::deque<time_point> recent_;  ///< at most max_errors_ entries
};

}  // namespace onymous::session
