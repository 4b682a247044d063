// redis::publisher: messages in order with replies off (Redis answers none,
// and the connection is never made again for a stray reply), nothing sent
// while not connected, back after a restart, and a Redis that stops reading
// costs a bounded queue.

#include "client_helpers.hpp"
#include "redis_server.hpp"

#include <string>
#include <utility>
#include <vector>

using namespace onymous;
using namespace onymous::test;
using namespace std::string_literals;

namespace {

/// A subscriber to `channel` that keeps what it hears, subscribed on return.
struct listener {
    redis::subscriber sub;
    std::vector<std::string> heard;

    listener(boost::asio::io_context& io, const redis::endpoint& where, std::string channel)
        : sub(io, where, {std::move(channel)}, test_options()) {
        sub.on_message = [this](std::string_view, std::string_view payload) {
            heard.emplace_back(payload);
        };
        sub.start();
        REQUIRE(run_until(
            io, [&] { return sub.subscribed(); }, patience));
    }
};

void connect(boost::asio::io_context& io, redis::publisher& p) {
    p.start();
    REQUIRE(run_until(
        io, [&] { return p.connected(); }, patience));
}

/// The number after `label` at the start of a line of INFO's answer.
long long info_number(boost::asio::io_context& io, redis::connection& c, const std::string& label) {
    const auto info = call(io, c, {"INFO", "all"});
    REQUIRE(info);
    const auto at = info->text.find("\r\n" + label);
    REQUIRE(at != std::string::npos);
    return std::stoll(info->text.substr(at + 2 + label.size()));
}

/// A publisher with a subscriber to `channel` and a command connection to
/// ask Redis with, all connected; `connections` is Redis's count of
/// connections received by then, to tell that the publisher never
/// connected again.
struct watched_publisher {
    listener ear;
    redis::connection probe;
    redis::publisher p;
    long long connections = 0;

    watched_publisher(boost::asio::io_context& io, const redis::endpoint& where,
                      const std::string& channel)
        : ear(io, where, channel), probe(io, where, test_options()), p(io, where, test_options()) {
        test::connect(io, probe);
        connect(io, p);
        connections = info_number(io, probe, "total_connections_received:");
    }

    /// Publishes `payloads` to `channel` and waits until they all arrived, in order.
    void publish_all(boost::asio::io_context& io, const std::string& channel,
                     const std::vector<std::string>& payloads) {
        for (const auto& payload : payloads) REQUIRE(p.publish(channel, payload));
        REQUIRE(run_until(
            io, [&] { return ear.heard.size() == payloads.size(); }, patience));
        CHECK(ear.heard == payloads);
    }

    bool connected_once(boost::asio::io_context& io) {
        return p.connected() &&
               info_number(io, probe, "total_connections_received:") == connections;
    }
};

}  // namespace

TEST_CASE("published messages arrive in order, and Redis answers none", "[publisher_test]") {
    redis_server server;
    boost::asio::io_context io;
    watched_publisher w(io, server.endpoint(), "node:b");
    std::vector<std::string> payloads;
    for (int i = 0; i < 500; ++i) payloads.push_back("m\0\r\n"s + std::to_string(i));
    w.publish_all(io, "node:b", payloads);
    CHECK(w.p.flushed());

    // Every PUBLISH was executed, and none was answered: an answer would
    // have been taken for a refused REPLY OFF (errorstats would count it).
    CHECK(info_number(io, w.probe, "cmdstat_publish:calls=") >= 500);
    CHECK(info_number(io, w.probe, "cmdstat_client|reply:calls=") == 1);
    CHECK(w.connected_once(io));
}

TEST_CASE("not connected: publish() sends nothing; after a restart it sends again",
          "[publisher_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::publisher p(io, server.endpoint(), test_options());
    CHECK_FALSE(p.publish("ch", "before start"));
    connect(io, p);

    server.kill();
    REQUIRE(run_until(
        io, [&] { return !p.connected(); }, patience));
    CHECK_FALSE(p.publish("ch", "while down"));

    server.start();  // same port, empty
    REQUIRE(run_until(
        io, [&] { return p.connected(); }, patience));
    listener ear(io, server.endpoint(), "ch");
    REQUIRE(p.publish("ch", "after"));
    REQUIRE(run_until(
        io, [&] { return !ear.heard.empty(); }, patience));
    CHECK(ear.heard == std::vector<std::string>{"after"});
}

TEST_CASE("a Redis that stops reading: the unsent bytes are bounded", "[publisher_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::publisher p(io, server.endpoint(), test_options());
    connect(io, p);
    server.pause();

    // The kernel's buffers take a few MiB; then the queue grows to its bound,
    // and the next publish drops the connection instead of queueing more.
    const std::string payload(256 * 1024, 'x');
    std::size_t accepted = 0;
    const std::size_t most =
        2 * (redis::publisher::max_unsent_bytes + (64u << 20)) / payload.size();
    while (accepted < most && p.publish("ch", payload)) {
        ++accepted;
        io.poll();  // lets the writes in flight complete
    }
    CHECK(accepted < most);
    CHECK_FALSE(p.connected());
    CHECK_FALSE(p.publish("ch", "x"));

    // What was queued went with the connection: once connected again, the
    // queue empties (CLIENT REPLY OFF is its only command).
    server.resume();
    REQUIRE(run_until(
        io, [&] { return p.connected() && p.flushed(); }, patience));
    // Another channel: what the kernel held of the old connection reaches
    // Redis now, and may still be published to "ch" meanwhile.
    listener ear(io, server.endpoint(), "after");
    REQUIRE(p.publish("after", "after"));
    REQUIRE(run_until(
        io, [&] { return !ear.heard.empty(); }, patience));
    CHECK(ear.heard == std::vector<std::string>{"after"});
}

TEST_CASE("a Redis that refuses REPLY OFF still gets every message", "[publisher_test]") {
    redis_server server;
    // As an ACL of `+@all -@dangerous` does on Redis 6, where CLIENT is dangerous.
    server.cli({"ACL", "SETUSER", "default", "-client|reply"});
    boost::asio::io_context io;
    watched_publisher w(io, server.endpoint(), "ch");
    std::vector<std::string> payloads;
    for (int i = 0; i < 100; ++i) payloads.push_back(std::to_string(i));
    w.publish_all(io, "ch", payloads);
    // Refused once, and the connection kept: its replies are read and dropped.
    CHECK(info_number(io, w.probe, "errorstat_NOPERM:count=") == 1);
    CHECK(w.connected_once(io));
}
