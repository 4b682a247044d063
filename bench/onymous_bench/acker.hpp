#pragma once
// Acknowledgements as the contract suggests (docs/protocol.md,
// Acknowledgements): ack the highest seq processed once 8 messages are
// unacknowledged, or a quarter of hello.limits.maxUnackedBytes, or 500 ms
// after the first unacknowledged one. onymous-bench acks by default, so that
// its figures are those of clients that do; --no-ack measures those that
// never do.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace onymous::bench {

/// The `seq` a server message ends with (`,"seq":N}`), if any.
std::optional<std::uint64_t> seq_of(std::string_view text);

class acker {
public:
    using clock = std::chrono::steady_clock;

    /// A fresh session: `max_unacked` is hello.limits.maxUnackedBytes, 0
    /// when the server announces none (it would refuse `ack`) or acks are off.
    void start(std::uint64_t max_unacked);

    /// A message was processed: the ack to send now, or an empty string.
    std::string processed(std::string_view text, clock::time_point now);
    /// The ack that is due by time at `now`, or an empty string.
    std::string due(clock::time_point now);

private:
    std::string ack();

    std::uint64_t max_unacked_ = 0;
    std::uint64_t last_seq_ = 0;
    std::uint64_t acked_ = 0;
    std::uint64_t unacked_bytes_ = 0;
    clock::time_point first_unacked_{};
};

}  // namespace onymous::bench
