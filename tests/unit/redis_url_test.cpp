// cluster.redis, parsed without a socket (server/redis/endpoint.cpp).

#include "../../server/redis/endpoint.hpp"

#include <catch2/catch.hpp>

#include <string>

using onymous::redis::describe;
using onymous::redis::endpoint;
using onymous::redis::parse_url;

TEST_CASE("redis:// URLs give host, port and password", "[redis][url]") {
    struct row {
        const char* url;
        const char* host;
        std::uint16_t port;
        const char* password;
        const char* username;
    };
    const row rows[] = {
        {"redis://127.0.0.1:6380", "127.0.0.1", 6380, "", ""},
        {"redis://127.0.0.1", "127.0.0.1", 6379, "", ""},
        {"redis://redis.internal:7000", "redis.internal", 7000, "", ""},
        {"redis://redis_1:1", "redis_1", 1, "", ""},
        {"redis://[::1]:6379", "::1", 6379, "", ""},
        {"redis://[2001:db8::7]", "2001:db8::7", 6379, "", ""},
        {"redis://:secret@10.0.0.5:6379", "10.0.0.5", 6379, "secret", ""},
        {"redis://secret@10.0.0.5:6379", "10.0.0.5", 6379, "secret", ""},  // as redis-cli -u
        {"redis://default:secret@host:65535", "host", 65535, "secret", "default"},
        {"redis://:@host", "host", 6379, "", ""},
        {"redis://:p%40ss%3Aw%2Fd@host:1", "host", 1, "p@ss:w/d", ""},
        {"redis://:a:b@host", "host", 6379, "a:b", ""},  // only the first ':' splits
        {"redis://:a@b@host", "host", 6379, "a@b", ""},  // up to the last '@'
        {"redis://:secret@[::1]:6380/", "::1", 6380, "secret", ""},
        {"redis://host:6379/0", "host", 6379, "", ""},
    };
    for (const row& r : rows) {
        CAPTURE(r.url);
        const auto parsed = parse_url(r.url);
        REQUIRE(parsed);
        CHECK(parsed->host == r.host);
        CHECK(parsed->port == r.port);
        CHECK(parsed->password == r.password);
        CHECK(parsed->username == r.username);
        CHECK(parsed->unix_path.empty());
    }
}

TEST_CASE("unix: URLs give an absolute path and nothing else", "[redis][url]") {
    const auto parsed = parse_url("unix:/run/redis/redis-server.sock");
    REQUIRE(parsed);
    CHECK(parsed->unix_path == "/run/redis/redis-server.sock");
    CHECK(parsed->host.empty());
    CHECK(parsed->password.empty());
    // redis-py's unix:///path is an absolute path too.
    CHECK(parse_url("unix:///run/redis.sock")->unix_path == "///run/redis.sock");
}

TEST_CASE("redis URLs in any other form are refused", "[redis][url]") {
    const std::string too_long_path = "unix:/" + std::string(107, 'x');  // sun_path is 108 with NUL
    const std::string longest_path = "unix:/" + std::string(106, 'x');
    CHECK(parse_url(longest_path));
    const char* refused[] = {
        "",
        "redis://",
        "redis://:6379",
        "redis://host:",
        "redis://host:0",
        "redis://host:65536",
        "redis://host:+1",
        "redis://host:63a",
        "redis://host:6379/1",  // another database: the client would ignore it
        "redis://host:6379/0/x",
        "redis://host:6379?x=1",
        "redis://ho st:6379",
        "redis://host:6379\n",
        "redis://host\t",
        "redis://[::1",
        "redis://[::1]x",
        "redis://[::1]:",
        "redis://[nonsense]:6379",
        "redis://[]:6379",
        "redis://::1:6379",
        "redis://:%4@host",
        "redis://:%zz@host",
        "redis://:%@host",
        "rediss://host:6379",  // TLS: Debian 12's hiredis has none
        "REDIS://host",
        "http://host:6379",
        "host:6379",
        "unix:",
        "unix:relative/path",
        "unix:~/redis.sock",
    };
    for (const char* url : refused) {
        CAPTURE(url);
        CHECK_FALSE(parse_url(url));
    }
    CHECK_FALSE(parse_url(too_long_path));
}

TEST_CASE("describe names the server, never the password", "[redis][url]") {
    auto tcp = parse_url("redis://user:hunter2@10.1.2.3:6380");
    REQUIRE(tcp);
    CHECK(describe(*tcp) == "10.1.2.3:6380");
    auto v6 = parse_url("redis://:hunter2@[::1]:6379");
    REQUIRE(v6);
    CHECK(describe(*v6) == "[::1]:6379");
    auto local = parse_url("unix:/tmp/r.sock");
    REQUIRE(local);
    CHECK(describe(*local) == "unix:/tmp/r.sock");
}
