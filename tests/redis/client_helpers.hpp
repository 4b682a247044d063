#pragma once
// Shared by the Redis client's tests: short timeouts, one command waited for.

#include "io_wait.hpp"
#include "redis/client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace onymous::test {

using namespace std::chrono_literals;

/// Timeouts short enough for tests, long enough for a loaded 2-core machine.
inline redis::options test_options() {
    redis::options opts;
    opts.connect_timeout = 500ms;
    opts.command_timeout = 300ms;
    opts.backoff_min = 20ms;
    opts.backoff_max = 200ms;
    return opts;
}

/// How long a test waits for something that should happen soon.
constexpr auto patience = 5000ms;

/// Sends one command and runs `io` until its handler ran; what it got.
inline std::optional<redis::reply> call(boost::asio::io_context& io, redis::connection& c,
                                        std::vector<std::string> argv) {
    std::optional<std::optional<redis::reply>> result;
    c.command(std::move(argv),
              [&](std::optional<redis::reply> answer) { result = std::move(answer); });
    REQUIRE(run_until(
        io, [&] { return result.has_value(); }, patience));
    return *result;
}

/// Starts `c` and waits until it is connected.
inline void connect(boost::asio::io_context& io, redis::connection& c) {
    c.start();
    REQUIRE(run_until(
        io, [&] { return c.connected(); }, patience));
}

}  // namespace onymous::test
