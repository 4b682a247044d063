#pragma once
// The latency floor of the relay: a plain TCP ping-pong on loopback between
// this process and an echo thread of its own, no TLS, no WebSocket, no
// server logic. One-way time is half the round trip.

#include "histogram.hpp"

#include <cstddef>
#include <string>

namespace onymous::bench {

struct tcp_floor {
    latency_histogram one_way;  ///< RTT/2 of each round trip, in ns
    std::string error;          ///< empty when it worked
};

/// `rounds` round trips of `bytes` each way (after 500 unmeasured ones).
/// `echo_cpu` >= 0 pins the echo thread to that CPU (the server's core, so
/// that each trip crosses cores as a relayed message does).
tcp_floor measure_tcp_floor(std::size_t bytes, std::size_t rounds, int echo_cpu);

}  // namespace onymous::bench
