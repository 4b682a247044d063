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

/// Runs `io` until Redis reports `count` blocked clients (a BLPOP written and
/// waiting on the server), asking over `probe`, one INFO after the other.
inline void wait_blocked(boost::asio::io_context& io, redis::connection& probe, int count) {
    const std::string wanted = "blocked_clients:" + std::to_string(count) + "\r\n";
    const auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
        auto info = call(io, probe, {"INFO", "clients"});
        REQUIRE(info);
        if (info->text.find(wanted) != std::string::npos) return;
        REQUIRE(std::chrono::steady_clock::now() < deadline);
    }
}

/// Starts `c` and waits until it is connected.
inline void connect(boost::asio::io_context& io, redis::connection& c) {
    c.start();
    REQUIRE(run_until(
        io, [&] { return c.connected(); }, patience));
}

}  // namespace onymous::test
