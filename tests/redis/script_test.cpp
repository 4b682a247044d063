// redis::script: its SHA1 is Redis's, the first run on a server falls back
// to EVAL and loads it, later runs are EVALSHA, and SCRIPT FLUSH (or a
// restarted Redis) costs one fallback more.

#include "client_helpers.hpp"
#include "redis_server.hpp"

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

using namespace onymous;
using namespace onymous::test;
using namespace std::string_literals;

namespace {

/// How many times Redis ran `command` (INFO commandstats), 0 when never.
long long calls_of(redis_server& server, const std::string& command) {
    const std::string stats = server.cli({"INFO", "commandstats"});
    std::smatch match;
    const std::regex line("cmdstat_" + command + ":calls=([0-9]+)");
    return std::regex_search(stats, match, line) ? std::stoll(match[1]) : 0;
}

const char* const echo_source =
    "return {KEYS[1], ARGV[1], ARGV[2], redis.call('INCR', KEYS[1] .. ':runs')}";

}  // namespace

TEST_CASE("the SHA1 is the one Redis computes", "[script_test]") {
    CHECK(redis::script("return 1").sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");

    redis_server server;
    boost::asio::io_context io;
    redis::connection c(io, server.endpoint(), test_options());
    connect(io, c);
    const redis::script s(echo_source);
    auto loaded = call(io, c, {"SCRIPT", "LOAD", echo_source});
    REQUIRE(loaded);
    CHECK(loaded->text == s.sha1());
}

TEST_CASE("EVALSHA, with EVAL once per cache that lacks the script", "[script_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::connection c(io, server.endpoint(), test_options());
    connect(io, c);
    const redis::script s(echo_source);

    auto run = [&](std::string key, std::string arg) {
        std::optional<std::optional<redis::reply>> result;
        s.run(c, {std::move(key)}, {std::move(arg), "\0two"s},
              [&](std::optional<redis::reply> r) { result = std::move(r); });
        REQUIRE(run_until(
            io, [&] { return result.has_value(); }, patience));
        REQUIRE(*result);
        return std::move(**result);
    };

    CHECK(call(io, c, {"SCRIPT", "EXISTS", s.sha1()})->elements.at(0).integer == 0);
    auto first = run("k\0ey"s, "one");
    REQUIRE(first.elements.size() == 4);
    CHECK(first.elements[0].text == "k\0ey"s);
    CHECK(first.elements[1].text == "one");
    CHECK(first.elements[2].text == "\0two"s);
    CHECK(first.elements[3].integer == 1);
    CHECK(calls_of(server, "eval") == 1);  // the fallback, which loaded it
    CHECK(call(io, c, {"SCRIPT", "EXISTS", s.sha1()})->elements.at(0).integer == 1);

    for (int i = 2; i <= 5; ++i) CHECK(run("k\0ey"s, "again").elements[3].integer == i);
    CHECK(calls_of(server, "eval") == 1);  // all EVALSHA since
    CHECK(calls_of(server, "evalsha") == 5);

    REQUIRE(call(io, c, {"SCRIPT", "FLUSH"})->text == "OK");
    CHECK(run("k\0ey"s, "after flush").elements[3].integer == 6);
    CHECK(calls_of(server, "eval") == 2);

    SECTION("many runs in flight when the cache is empty: each falls back, all succeed") {
        REQUIRE(call(io, c, {"SCRIPT", "FLUSH"})->text == "OK");
        constexpr int count = 50;
        std::vector<long long> runs;
        for (int i = 0; i < count; ++i) {
            s.run(c, {"many"}, {"a", "b"}, [&](std::optional<redis::reply> r) {
                runs.push_back(r && r->elements.size() == 4 ? r->elements[3].integer : -1);
            });
        }
        REQUIRE(run_until(
            io, [&] { return runs.size() == count; }, patience));
        std::sort(runs.begin(), runs.end());  // the fallbacks run in the order of their NOSCRIPTs
        for (int i = 0; i < count; ++i) CHECK(runs[static_cast<std::size_t>(i)] == i + 1);
    }
    SECTION("a restarted, empty Redis") {
        server.restart();
        REQUIRE(run_until(
            io, [&] { return !c.connected(); }, patience));
        REQUIRE(run_until(
            io, [&] { return c.connected(); }, patience));
        CHECK(run("fresh", "x").elements[3].integer == 1);
        CHECK(calls_of(server, "eval") == 1);
    }
}

TEST_CASE("a failing script is an error reply; no connection is nullopt", "[script_test]") {
    redis_server server;
    boost::asio::io_context io;
    redis::connection c(io, server.endpoint(), test_options());
    const redis::script failing("return redis.error_reply('CUSTOM no luck')");

    std::optional<std::optional<redis::reply>> result;
    failing.run(c, {}, {}, [&](std::optional<redis::reply> r) { result = std::move(r); });
    REQUIRE(run_until(
        io, [&] { return result.has_value(); }, patience));
    CHECK_FALSE(*result);  // not started

    connect(io, c);
    result.reset();
    failing.run(c, {}, {}, [&](std::optional<redis::reply> r) { result = std::move(r); });
    REQUIRE(run_until(
        io, [&] { return result.has_value(); }, patience));
    REQUIRE(*result);
    CHECK((*result)->is_error("CUSTOM"));
    CHECK((*result)->text == "CUSTOM no luck");
}
