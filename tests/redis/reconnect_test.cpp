// Losing Redis: kill -9 and a restart on the same port, and a server that
// stops answering (SIGSTOP), which only the command timeout can tell.

#include "client_helpers.hpp"
#include "redis_server.hpp"

#include <cstdlib>
#include <string>
#include <vector>

using namespace onymous;
using namespace onymous::test;

namespace {

/// Sanitizer builds (ONYMOUS_E2E_SANITIZED) are slower: only the order of events is checked there.
bool sanitized() { return std::getenv("ONYMOUS_E2E_SANITIZED") != nullptr; }

}  // namespace

TEST_CASE("kill -9 and a restart: nullopt, on_disconnected, then on_connected again",
          "[reconnect_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::connection c(io, server.endpoint(), test_options());
    std::vector<std::string> events;
    c.on_connected = [&] { events.emplace_back("connected"); };
    c.on_disconnected = [&] { events.emplace_back("disconnected"); };
    connect(io, c);

    c.command({"BLPOP", "never", "0"},
              [&](std::optional<redis::reply> r) { events.push_back(r ? "reply" : "nullopt"); });
    redis::connection probe(io, server.endpoint(), test_options());
    connect(io, probe);
    wait_blocked(io, probe, 1);
    server.kill();
    REQUIRE(run_until(
        io, [&] { return events.size() == 3; }, patience));
    CHECK(events == std::vector<std::string>{"connected", "nullopt", "disconnected"});
    CHECK_FALSE(c.connected());
    CHECK_FALSE(call(io, c, {"PING"}));

    server.start();  // same port, empty
    REQUIRE(run_until(
        io, [&] { return c.connected(); }, patience));
    CHECK(events.back() == "connected");
    CHECK(events.size() == 4);
    CHECK(call(io, c, {"SET", "after", "restart"})->text == "OK");
    CHECK(server.cli({"GET", "after"}) == "restart");
}

TEST_CASE("a stopped server: nullopt within command_timeout, back after SIGCONT",
          "[reconnect_test]") {
    redis_server server;
    boost::asio::io_context io;
    const redis::options opts = test_options();
    redis::connection c(io, server.endpoint(), opts);
    int connected = 0;
    int disconnected = 0;
    c.on_connected = [&] { ++connected; };
    c.on_disconnected = [&] { ++disconnected; };
    connect(io, c);

    server.pause();
    const auto sent = std::chrono::steady_clock::now();
    std::optional<std::optional<redis::reply>> first;
    std::optional<std::optional<redis::reply>> second;
    c.command({"PING"}, [&](std::optional<redis::reply> r) { first = std::move(r); });
    run_for(io, 100ms);
    c.command({"PING"}, [&](std::optional<redis::reply> r) { second = std::move(r); });
    REQUIRE(run_until(
        io, [&] { return first.has_value(); }, patience));
    const auto waited = std::chrono::steady_clock::now() - sent;
    CHECK_FALSE(*first);
    // The first one's deadline drops the connection: the second goes with it.
    REQUIRE(second.has_value());
    CHECK_FALSE(*second);
    CHECK(waited >= opts.command_timeout);
    if (!sanitized()) CHECK(waited < opts.command_timeout + 300ms);
    CHECK(disconnected == 1);
    CHECK_FALSE(c.connected());

    // The kernel still accepts connections, but the handshake's PING is not
    // answered: never "connected" while it is stopped.
    run_for(io, 3 * opts.connect_timeout);
    CHECK(connected == 1);
    CHECK_FALSE(c.connected());

    server.resume();
    REQUIRE(run_until(
        io, [&] { return c.connected(); }, patience));
    CHECK(connected == 2);
    CHECK(call(io, c, {"PING"})->text == "PONG");
}

TEST_CASE("a command_timeout counts from when each command was sent", "[reconnect_test]") {
    redis_server server;
    boost::asio::io_context io;
    const redis::options opts = test_options();
    redis::connection c(io, server.endpoint(), opts);
    connect(io, c);

    // Slow but in time, twice in a row: each within its own deadline.
    const auto slow = std::to_string(opts.command_timeout.count() * 2 / 3 / 1000.0);
    int answered = 0;
    c.command({"DEBUG", "SLEEP", slow},
              [&](std::optional<redis::reply> r) { answered += r ? 1 : 0; });
    c.command({"PING"}, [&](std::optional<redis::reply> r) { answered += r ? 1 : 0; });
    REQUIRE(run_until(
        io, [&] { return answered == 2; }, patience));
    CHECK(c.connected());

    // Slower than the deadline: nullopt, and the late reply is never taken for the next one's.
    const auto too_slow = std::to_string(opts.command_timeout.count() * 2 / 1000.0);
    std::optional<std::optional<redis::reply>> late;
    c.command({"DEBUG", "SLEEP", too_slow},
              [&](std::optional<redis::reply> r) { late = std::move(r); });
    REQUIRE(run_until(
        io, [&] { return late.has_value(); }, patience));
    CHECK_FALSE(*late);
    REQUIRE(run_until(
        io, [&] { return c.connected(); }, patience));
    auto echo = call(io, c, {"ECHO", "mine"});
    REQUIRE(echo);
    CHECK(echo->text == "mine");
}
