#pragma once
// A token bucket for per-connection rates (limits.messages_per_second and
// limits.burst, limits.joins_per_second and limits.join_burst). Pure: the
// caller passes the time to every call, so tests drive it with a manual
// clock.
//
// Exact: the level is kept in token-nanoseconds (one token is 10^9 units
// and each elapsed nanosecond adds `rate` units), so refilling in many small
// steps gives exactly what one large step gives, with no rounding drift.
// O(1) memory: a level and the time of the last refill.

#include <chrono>
#include <cstdint>

namespace onymous::relay {

class token_bucket {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// Largest rate and burst accepted (the config keys' bound): keeps
    /// burst * 10^9 and rate * 10^9 far below 2^64.
    static constexpr std::uint64_t max_value = 1'000'000;

    /// Starts full at `now`. `rate` tokens per second, at most `burst`
    /// held; both are clamped to 1..max_value.
    token_bucket(std::uint64_t rate, std::uint64_t burst, time_point now);

    /// Refills up to `now`, then takes one token if there is one.
    bool try_take(time_point now);
    /// Whole tokens held at `now` (refills first).
    std::uint64_t available(time_point now);

private:
    void refill(time_point now);

    std::uint64_t rate_;      ///< units added per nanosecond (= tokens per second)
    std::uint64_t capacity_;  ///< burst in units
    std::uint64_t level_;     ///< units held, <= capacity_
    time_point last_;         ///< time of the last refill; never moves back
};

}  // namespace onymous::relay
