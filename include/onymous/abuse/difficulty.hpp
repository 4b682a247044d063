#pragma once
// How many leading zero bits a proof of work must have (PROTOCOL.md, Abuse
// controls: "B rises with the server's load and with the reports and skips
// of the client's address, up to abuse.pow_max_bits"). Pure: the caller
// passes the time and the address's figures.
//
// bits = 0 when abuse.pow_bits is 0 (proof of work off), else
//   min(pow_max_bits, pow_bits + load + reports + skips) where
// - load: one bit per doubling of the node's join rate above
//   pow_load_threshold: floor(log2(rate / threshold)) once rate >= 2 x
//   threshold (rate 100/s at threshold 50: +1; 400/s: +3). Bots that flood
//   the node make every join dearer, their own most.
// - reports: one bit per distinct reporter counted against the address
//   within report_window (report_ledger's address_status::reporters). A
//   first report from someone doubles the address's cost; the third, where
//   the shadow pool starts by default, makes it 8 times dearer.
// - skips: with L = skips_per_minute > 0 and h = max(1, L / 2), one bit
//   once the address's next within the current minute reach h, and one more
//   per doubling (L 30: 15 skips +1, 30 skips +2). A person who moves on
//   every few seconds pays a little more; one who does so all the time is
//   stopped by the skip throttle anyway.
// Each bit doubles the expected work: count x 2^bits hashes.

#include <onymous/config/config.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>

namespace onymous::abuse {

/// The node's rate of join and next: the count of the current second plus
/// the previous second's count weighted by how much of a second is still
/// ahead (a sliding window over two fixed ones). Reacts within a second and
/// holds two counters. Any thread.
class join_rate {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// Counts one join or next at `now`.
    void record(time_point now);
    /// Joins per second at `now`, rounded down.
    std::uint64_t per_second(time_point now) const;

private:
    /// Moves the window to `now`'s second; needs mutex_.
    void advance(std::int64_t second) const;

    mutable std::mutex mutex_;
    mutable std::int64_t second_ = 0;  ///< steady-clock second of `current_`
    mutable std::uint64_t current_ = 0;
    mutable std::uint64_t previous_ = 0;
};

/// What is known about one address (see the rule above).
struct address_pressure {
    std::uint64_t reporters = 0;  ///< distinct reporters within report_window
    std::uint64_t skips = 0;      ///< next within the current minute (skip_window::skips)
};

/// Bits of the load term alone: 0 below twice the threshold.
unsigned load_bits(std::uint64_t joins_per_second, std::uint64_t threshold);

/// Bits of the skip term alone: 0 when skips_per_minute is 0.
unsigned skip_bits(std::uint64_t skips, std::uint64_t skips_per_minute);

/// The difficulty of a challenge for an address, by the rule above.
unsigned difficulty(const config::abuse_settings& s, std::uint64_t joins_per_second,
                    const address_pressure& address);

}  // namespace onymous::abuse
