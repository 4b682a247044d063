#pragma once
// The skip throttle (PROTOCOL.md, Skips): more than abuse.skips_per_minute
// `next` within a minute gives rate_limited with retryAfterMs, which doubles
// on each further refusal within the minute. Pure: the caller passes the
// time.
//
// Counted per address (address_hasher), not per session: the bots this is
// for press Next thousands of times an hour from fresh connections, and a
// per-session count would restart with each one (cluster nodes
// share the counts through Redis for the same reason). The cost: people
// behind one NAT address share one budget of skips.
//
// The rule, for one address (skip_window):
// - a minute starts at the first `next` after the previous one ended;
// - the first skips_per_minute `next` of that minute are allowed;
// - the next one is refused with retryAfterMs = what is left of the minute,
//   so that a client that waits as told gets through at once;
// - each further refusal before the block ends doubles the previous
//   retryAfterMs (capped at max_retry) and blocks until then: a client that
//   ignores the answer only waits longer;
// - the minute ends when both it and the block have passed; then counting
//   starts again.
// 0 turns the throttle off: everything is allowed and nothing is kept.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace onymous::abuse {

using std::chrono::milliseconds;

struct skip_decision {
    bool allowed = true;
    milliseconds retry_after{0};  ///< refused only: "retryAfterMs"

    bool operator==(const skip_decision&) const = default;
};

/// One address's minute: four fields, a value type. In cluster mode each
/// node applies the rule to every node's `next` of the address (the
/// cluster shares them), so the nodes hold the same window.
struct skip_window {
    using time_point = std::chrono::steady_clock::time_point;

    static constexpr milliseconds window{60'000};
    static constexpr milliseconds max_retry{600'000};

    /// Of the current minute; the default is long over, so that a new
    /// window starts its minute at its first `next`.
    time_point start = time_point::min();
    time_point blocked_until = time_point::min();  ///< of the last refusal
    std::uint32_t skips = 0;                       ///< allowed within the current minute
    std::uint32_t refusals = 0;                    ///< within the current minute
    milliseconds last_retry{0};                    ///< of the last refusal

    /// Applies the rule to one `next` at `now`; `limit` is skips_per_minute.
    skip_decision on_next(std::uint64_t limit, time_point now);
    /// Whether nothing is left to remember at `now` (the minute and the
    /// block are over), so the state may be dropped.
    bool idle(time_point now) const;
    /// Skips allowed within the minute that `now` is in (0 once it is over):
    /// the difficulty's skip term.
    std::uint64_t recent_skips(time_point now) const;
};

/// skip_window per address hash, in memory. Every function may be called
/// from any thread (one mutex, O(1) work under it).
///
/// Bounded: at most `max_tracked` addresses. An address is held while its
/// minute or its block lasts (at most max_retry after its last refusal);
/// past the bound the one least recently seen is forgotten, which gives it a
/// fresh minute. About 100 bytes per address: 1 << 16 is ~6 MiB.
class skip_throttle {
public:
    using time_point = skip_window::time_point;

    skip_throttle(std::uint64_t skips_per_minute, std::size_t max_tracked);
    ~skip_throttle();
    skip_throttle(const skip_throttle&) = delete;
    skip_throttle& operator=(const skip_throttle&) = delete;

    /// A `next` from `address`.
    skip_decision on_next(std::uint64_t address, time_point now);
    /// skip_window::recent_skips of `address`.
    std::uint64_t recent_skips(std::uint64_t address, time_point now) const;

    /// Whether skips_per_minute is not 0.
    bool on() const;
    /// A reload's new abuse.skips_per_minute; 0 forgets everything.
    void set_limit(std::uint64_t skips_per_minute);
    /// Forgets idle addresses, least recently seen first. Call about once a
    /// second (also done as a side effect of on_next).
    void sweep(time_point now);
    /// Addresses held (metrics, tests).
    std::size_t tracked() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace onymous::abuse
