// redis::connection against a real redis-server: replies of every kind,
// binary-safe arguments, order under pipelining, the Unix socket, names,
// and what start/stop/destruction promise about handlers.

#include "client_helpers.hpp"
#include "redis_server.hpp"

#include <memory>
#include <string>
#include <vector>

using namespace onymous;
using namespace onymous::test;
using namespace std::string_literals;
using kind = redis::reply::kind;

TEST_CASE("replies of every kind come back as values", "[commands_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::connection c(io, server.endpoint(), test_options());
    connect(io, c);

    auto ok = call(io, c, {"SET", "k", "v"});
    REQUIRE(ok);
    CHECK(ok->type == kind::status);
    CHECK(ok->text == "OK");

    auto value = call(io, c, {"GET", "k"});
    REQUIRE(value);
    CHECK(value->type == kind::string);
    CHECK(value->text == "v");

    auto missing = call(io, c, {"GET", "nothing"});
    REQUIRE(missing);
    CHECK(missing->type == kind::nil);

    auto number = call(io, c, {"INCRBY", "n", "-7"});
    REQUIRE(number);
    CHECK(number->type == kind::integer);
    CHECK(number->integer == -7);

    call(io, c, {"RPUSH", "list", "a", "", "c"});
    auto list = call(io, c, {"LRANGE", "list", "0", "-1"});
    REQUIRE(list);
    REQUIRE(list->type == kind::array);
    REQUIRE(list->elements.size() == 3);
    CHECK(list->elements[1].type == kind::string);
    CHECK(list->elements[1].text.empty());

    auto empty = call(io, c, {"LRANGE", "nothing", "0", "-1"});
    REQUIRE(empty);
    CHECK(empty->type == kind::array);
    CHECK(empty->elements.empty());

    // Lua tables nest; false is a nil.
    auto nested = call(io, c, {"EVAL", "return {1, {'x', false}, 'y'}", "0"});
    REQUIRE(nested);
    REQUIRE(nested->type == kind::array);
    REQUIRE(nested->elements.size() == 3);
    CHECK(nested->elements[0].integer == 1);
    REQUIRE(nested->elements[1].elements.size() == 2);
    CHECK(nested->elements[1].elements[0].text == "x");
    CHECK(nested->elements[1].elements[1].type == kind::nil);
    CHECK(nested->elements[2].text == "y");

    auto wrong_type = call(io, c, {"LPUSH", "k", "x"});
    REQUIRE(wrong_type);
    CHECK(wrong_type->type == kind::error);
    CHECK(wrong_type->is_error("WRONGTYPE"));

    auto unknown = call(io, c, {"NO-SUCH-COMMAND"});
    REQUIRE(unknown);
    CHECK(unknown->is_error("ERR"));

    // An error is a reply like any other: the connection goes on.
    CHECK(c.connected());
    CHECK(call(io, c, {"PING"})->text == "PONG");
}

TEST_CASE("arguments and replies are binary safe", "[commands_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::connection c(io, server.endpoint(), test_options());
    connect(io, c);

    const std::string key = "k\0\r\n\xff"s;
    const std::string value = "\0\0a\r\n$3\r\n*1\r\n\xfe\xff"s;
    REQUIRE(call(io, c, {"SET", key, value})->text == "OK");
    auto back = call(io, c, {"GET", key});
    REQUIRE(back);
    CHECK(back->text == value);
    CHECK(call(io, c, {"STRLEN", key})->integer == static_cast<long long>(value.size()));

    // Larger than a socket read and a write: several of each, one reply.
    std::string big(3 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7919 % 251);
    REQUIRE(call(io, c, {"SET", "big", big})->text == "OK");
    auto big_back = call(io, c, {"GET", "big"});
    REQUIRE(big_back);
    CHECK(big_back->text == big);
}

TEST_CASE("1000 commands in flight are answered in order", "[commands_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::connection c(io, server.endpoint(), test_options());
    connect(io, c);

    constexpr int count = 1000;
    std::vector<int> order;
    std::vector<std::string> mismatches;
    for (int i = 0; i < count; ++i) {
        // Alternately a counter and an echo, so that a reply given to the
        // wrong handler shows both in its kind and in its value.
        if (i % 2 == 0) {
            c.command({"INCR", "counter"}, [&, i](std::optional<redis::reply> r) {
                order.push_back(i);
                if (!r || r->type != kind::integer || r->integer != i / 2 + 1)
                    mismatches.push_back("INCR " + std::to_string(i));
            });
        } else {
            c.command({"ECHO", "echo " + std::to_string(i)}, [&, i](std::optional<redis::reply> r) {
                order.push_back(i);
                if (!r || r->text != "echo " + std::to_string(i))
                    mismatches.push_back("ECHO " + std::to_string(i));
            });
        }
    }
    CHECK(c.pending() == count);
    CHECK(order.empty());  // never inside command()
    REQUIRE(run_until(
        io, [&] { return order.size() == count; }, patience));
    CHECK(mismatches.empty());
    for (int i = 0; i < count; ++i) REQUIRE(order[static_cast<std::size_t>(i)] == i);
    CHECK(c.pending() == 0);
}

TEST_CASE("a Unix socket endpoint", "[commands_test]") {
    redis_server server;
    boost::asio::io_context io;
    const auto where = redis::parse_url("unix:" + server.unix_socket().string());
    REQUIRE(where);
    redis::connection c(io, *where, test_options());
    connect(io, c);
    REQUIRE(call(io, c, {"SET", "over", "unix"})->text == "OK");
    CHECK(server.cli({"GET", "over"}) == "unix");
}

TEST_CASE("a host name is resolved", "[commands_test]") {
    redis_server server;
    boost::asio::io_context io;
    auto where = server.endpoint();
    where.host = "localhost";
    redis::connection c(io, where, test_options());
    connect(io, c);
    CHECK(call(io, c, {"PING"})->text == "PONG");
}

TEST_CASE("no connection, no arguments: nullopt, never inside command()", "[commands_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::connection c(io, server.endpoint(), test_options());

    bool called = false;
    std::optional<redis::reply> got = redis::reply{};
    c.command({"PING"}, [&](std::optional<redis::reply> r) {
        called = true;
        got = std::move(r);
    });
    CHECK_FALSE(called);  // posted
    REQUIRE(run_until(
        io, [&] { return called; }, patience));
    CHECK_FALSE(got);

    connect(io, c);
    called = false;
    got = redis::reply{};
    c.command({}, [&](std::optional<redis::reply> r) {
        called = true;
        got = std::move(r);
    });
    CHECK_FALSE(called);
    REQUIRE(run_until(
        io, [&] { return called; }, patience));
    CHECK_FALSE(got);
    CHECK(call(io, c, {"PING"})->text == "PONG");  // nothing was sent for it
}

TEST_CASE("stop() answers the pending handlers with nullopt before it returns", "[commands_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::connection c(io, server.endpoint(), test_options());
    int connected = 0;
    int disconnected = 0;
    c.on_connected = [&] { ++connected; };
    c.on_disconnected = [&] { ++disconnected; };
    connect(io, c);
    CHECK(connected == 1);

    std::vector<std::optional<redis::reply>> answers;
    for (int i = 0; i < 3; ++i)  // BLPOP 0 waits for ever: surely pending
        c.command({"BLPOP", "never", "0"},
                  [&](std::optional<redis::reply> r) { answers.push_back(std::move(r)); });
    redis::connection probe(io, server.endpoint(), test_options());
    connect(io, probe);
    wait_blocked(io, probe, 1);  // the first; the others wait behind it
    REQUIRE(answers.empty());
    c.stop();
    REQUIRE(answers.size() == 3);
    for (const auto& answer : answers) CHECK_FALSE(answer);
    CHECK_FALSE(c.connected());
    CHECK(c.pending() == 0);

    // No reconnection, no on_disconnected.
    run_for(io, 300ms);
    CHECK(connected == 1);
    CHECK(disconnected == 0);

    // And it starts again.
    connect(io, c);
    CHECK(connected == 2);
    CHECK(call(io, c, {"PING"})->text == "PONG");
}

TEST_CASE("no handler runs after destruction", "[commands_test]") {
    redis_server server;
    boost::asio::io_context io;
    auto c = std::make_unique<redis::connection>(io, server.endpoint(), test_options());
    connect(io, *c);

    int calls = 0;
    c->command({"BLPOP", "never", "0"}, [&](std::optional<redis::reply>) { ++calls; });
    c->on_disconnected = [&] { ++calls; };
    c->stop();  // answers the BLPOP
    CHECK(calls == 1);
    c->command({"PING"}, [&](std::optional<redis::reply>) { ++calls; });  // posted nullopt
    connect(io, *c);
    CHECK(calls == 2);

    c->command({"BLPOP", "never", "0"}, [&](std::optional<redis::reply>) { ++calls; });
    c->command({"PING"}, [&](std::optional<redis::reply>) { ++calls; });
    redis::connection probe(io, server.endpoint(), test_options());
    connect(io, probe);
    wait_blocked(io, probe, 1);
    c.reset();
    run_for(io, 300ms);
    CHECK(calls == 2);

    // Destroyed from inside its own handler: the replies behind it are not delivered.
    auto d = std::make_unique<redis::connection>(io, server.endpoint(), test_options());
    connect(io, *d);
    int after = 0;
    bool first = false;
    d->command({"PING"}, [&](std::optional<redis::reply> r) {
        first = r.has_value();
        d.reset();
    });
    d->command({"PING"}, [&](std::optional<redis::reply>) { ++after; });
    REQUIRE(run_until(
        io, [&] { return first; }, patience));
    run_for(io, 200ms);
    CHECK(after == 0);
}

TEST_CASE("a connection started before Redis connects when it comes up", "[commands_test]") {
    const std::uint16_t port = free_port();
    boost::asio::io_context io;
    redis::endpoint where;
    where.host = "127.0.0.1";
    where.port = port;
    redis::connection c(io, where, test_options());
    int connected = 0;
    c.on_connected = [&] { ++connected; };
    c.start();
    run_for(io, 300ms);  // refused, again and again, with backoff
    CHECK_FALSE(c.connected());
    CHECK_FALSE(call(io, c, {"PING"}));

    redis_server::settings how;
    how.port = port;
    redis_server server(how);
    REQUIRE(run_until(
        io, [&] { return c.connected(); }, patience));
    CHECK(connected == 1);
    CHECK(call(io, c, {"PING"})->text == "PONG");
}
