// redis::subscriber: messages in order, a subscription made again after
// Redis restarts and after restart(), and callbacks that stop it.

#include "client_helpers.hpp"
#include "redis_server.hpp"

#include <string>
#include <utility>
#include <vector>

using namespace onymous;
using namespace onymous::test;
using namespace std::string_literals;

namespace {

struct recorder {
    std::vector<std::pair<std::string, std::string>> messages;
    int subscribed = 0;
    int disconnected = 0;

    void attach(redis::subscriber& s) {
        s.on_message = [this](std::string_view channel, std::string_view payload) {
            messages.emplace_back(channel, payload);
        };
        s.on_subscribed = [this] { ++subscribed; };
        s.on_disconnected = [this] { ++disconnected; };
    }
};

/// PUBLISHes and returns how many subscribers Redis says received it.
long long publish(boost::asio::io_context& io, redis::connection& c, std::string channel,
                  std::string payload) {
    auto r = call(io, c, {"PUBLISH", std::move(channel), std::move(payload)});
    REQUIRE(r);
    return r->integer;
}

}  // namespace

TEST_CASE("every message arrives in order, binary payloads included", "[subscriber_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::subscriber s(io, server.endpoint(), {"node:a", "broadcast"}, test_options());
    recorder seen;
    seen.attach(s);
    s.start();
    REQUIRE(run_until(
        io, [&] { return s.subscribed(); }, patience));
    CHECK(seen.subscribed == 1);

    redis::connection c(io, server.endpoint(), test_options());
    connect(io, c);
    constexpr int count = 200;
    int published = 0;
    for (int i = 0; i < count; ++i) {
        // Pipelined: many messages reach the subscriber in one read.
        c.command({"PUBLISH", i % 2 ? "broadcast" : "node:a", "m\0\r\n"s + std::to_string(i)},
                  [&](std::optional<redis::reply> r) { published += r && r->integer == 1; });
    }
    REQUIRE(run_until(
        io, [&] { return seen.messages.size() == count; }, patience));
    CHECK(published == count);
    for (int i = 0; i < count; ++i) {
        const auto& [channel, payload] = seen.messages[static_cast<std::size_t>(i)];
        REQUIRE(channel == (i % 2 ? "broadcast" : "node:a"));
        REQUIRE(payload == "m\0\r\n"s + std::to_string(i));
    }
    CHECK(publish(io, c, "elsewhere", "x") == 0);
    run_for(io, 50ms);
    CHECK(seen.messages.size() == count);
}

TEST_CASE("a Redis restart: on_disconnected, then subscribed again", "[subscriber_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::subscriber s(io, server.endpoint(), {"ch"}, test_options());
    recorder seen;
    seen.attach(s);
    s.start();
    REQUIRE(run_until(
        io, [&] { return s.subscribed(); }, patience));

    server.kill();
    REQUIRE(run_until(
        io, [&] { return seen.disconnected == 1; }, patience));
    CHECK_FALSE(s.subscribed());
    server.start();
    REQUIRE(run_until(
        io, [&] { return seen.subscribed == 2; }, patience));
    CHECK(s.subscribed());

    redis::connection c(io, server.endpoint(), test_options());
    connect(io, c);
    CHECK(publish(io, c, "ch", "after") == 1);
    REQUIRE(run_until(
        io, [&] { return seen.messages.size() == 1; }, patience));
    CHECK(seen.messages[0].second == "after");
}

TEST_CASE("restart() drops the subscription and makes a new one", "[subscriber_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::subscriber s(io, server.endpoint(), {"ch"}, test_options());
    recorder seen;
    seen.attach(s);
    s.start();
    REQUIRE(run_until(
        io, [&] { return s.subscribed(); }, patience));

    s.restart();
    CHECK(seen.disconnected == 1);  // inside restart()
    CHECK_FALSE(s.subscribed());
    REQUIRE(run_until(
        io, [&] { return seen.subscribed == 2; }, patience));

    redis::connection c(io, server.endpoint(), test_options());
    connect(io, c);
    // One subscriber, not two: the old connection is gone.
    auto numsub = call(io, c, {"PUBSUB", "NUMSUB", "ch"});
    REQUIRE(numsub);
    REQUIRE(numsub->elements.size() == 2);
    CHECK(numsub->elements[1].integer == 1);
    CHECK(publish(io, c, "ch", "x") == 1);
    REQUIRE(run_until(
        io, [&] { return seen.messages.size() == 1; }, patience));

    SECTION("while Redis is stopped it waits, and subscribes once it runs") {
        server.pause();
        s.restart();
        run_for(io, 2 * test_options().connect_timeout);
        CHECK(seen.subscribed == 2);
        CHECK_FALSE(s.subscribed());
        server.resume();
        REQUIRE(run_until(
            io, [&] { return seen.subscribed == 3; }, patience));
    }
    SECTION("stop() ends it, start() begins again") {
        s.stop();
        CHECK(seen.disconnected == 1);  // not a loss
        CHECK_FALSE(s.subscribed());
        s.restart();  // nothing when stopped
        run_for(io, 200ms);
        CHECK(seen.subscribed == 2);
        s.start();
        REQUIRE(run_until(
            io, [&] { return seen.subscribed == 3; }, patience));
    }
}

TEST_CASE("on_message may stop the subscriber: nothing more is delivered", "[subscriber_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::subscriber s(io, server.endpoint(), {"ch"}, test_options());
    int delivered = 0;
    s.on_message = [&](std::string_view, std::string_view) {
        ++delivered;
        s.stop();
    };
    s.start();
    REQUIRE(run_until(
        io, [&] { return s.subscribed(); }, patience));
    // Ten messages in one reply stream: the subscriber reads them together.
    server.cli({"EVAL", "for i = 1, 10 do redis.call('PUBLISH', 'ch', i) end", "0"});
    REQUIRE(run_until(
        io, [&] { return delivered > 0; }, patience));
    run_for(io, 100ms);
    CHECK(delivered == 1);
}

TEST_CASE("a subscriber destroyed with messages on the way calls nothing", "[subscriber_test]") {
    redis_server server;
    boost::asio::io_context io;
    auto s = std::make_unique<redis::subscriber>(io, server.endpoint(),
                                                 std::vector<std::string>{"ch"}, test_options());
    int calls = 0;
    s->on_message = [&](std::string_view, std::string_view) { ++calls; };
    s->on_disconnected = [&] { ++calls; };
    s->start();
    REQUIRE(run_until(
        io, [&] { return s->subscribed(); }, patience));
    server.cli({"PUBLISH", "ch", "on its way"});
    s.reset();
    run_for(io, 100ms);
    CHECK(calls == 0);
}

TEST_CASE("a refused SUBSCRIBE is never reported subscribed", "[subscriber_test]") {
    redis_server server;
    // Redis 7 gives a new ACL user no channel: its SUBSCRIBE gets -NOPERM.
    REQUIRE(server.cli({"ACL", "SETUSER", "nochannels", "on", ">pw", "~*", "+@all"}) == "OK");
    boost::asio::io_context io;
    auto where = server.endpoint();
    where.username = "nochannels";
    where.password = "pw";
    redis::subscriber s(io, where, {"ch"}, test_options());
    recorder seen;
    seen.attach(s);
    s.start();
    run_for(io, 500ms);  // refused, reconnected, refused again...
    CHECK(seen.subscribed == 0);
    CHECK(seen.disconnected == 0);
    CHECK_FALSE(s.subscribed());

    // Once allowed, the next attempt subscribes.
    REQUIRE(server.cli({"ACL", "SETUSER", "nochannels", "&*"}) == "OK");
    REQUIRE(run_until(
        io, [&] { return seen.subscribed == 1; }, patience));
}
