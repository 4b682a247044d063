// AUTH with requirepass: the right password (alone, with the ACL user
// "default", percent-encoded in a URL), a wrong one, and none.

#include "client_helpers.hpp"
#include "redis_server.hpp"

#include <string>

using namespace onymous;
using namespace onymous::test;

namespace {

redis_server::settings with_password(std::string password) {
    redis_server::settings how;
    how.password = std::move(password);
    return how;
}

}  // namespace

TEST_CASE("the right password connects", "[auth_test]") {
    redis_server server(with_password("s3cret@:/%"));
    boost::asio::io_context io;

    SECTION("as the endpoint's password") {
        redis::connection c(io, server.endpoint(), test_options());
        connect(io, c);
        CHECK(call(io, c, {"PING"})->text == "PONG");
    }
    SECTION("with the ACL user \"default\"") {
        auto where = server.endpoint();
        where.username = "default";
        redis::connection c(io, where, test_options());
        connect(io, c);
        CHECK(call(io, c, {"PING"})->text == "PONG");
    }
    SECTION("percent-encoded in cluster.redis") {
        const auto where = redis::parse_url("redis://:s3cret%40%3A%2F%25@127.0.0.1:" +
                                            std::to_string(server.port()));
        REQUIRE(where);
        redis::connection c(io, *where, test_options());
        connect(io, c);
        CHECK(call(io, c, {"PING"})->text == "PONG");
    }
    SECTION("for the subscriber too") {
        redis::subscriber s(io, server.endpoint(), {"ch"}, test_options());
        s.start();
        REQUIRE(run_until(
            io, [&] { return s.subscribed(); }, patience));
    }
}

TEST_CASE("a wrong or missing password never connects", "[auth_test]") {
    redis_server server(with_password("right"));
    boost::asio::io_context io;
    auto where = server.endpoint();
    SECTION("wrong") { where.password = "wrong"; }
    SECTION("missing") { where.password.clear(); }  // PING answers NOAUTH

    redis::connection c(io, where, test_options());
    int connected = 0;
    c.on_connected = [&] { ++connected; };
    c.start();
    run_for(io, 1000ms);  // several attempts, each refused
    CHECK(connected == 0);
    CHECK_FALSE(c.connected());
    CHECK_FALSE(call(io, c, {"PING"}));

    redis::subscriber s(io, where, {"ch"}, test_options());
    int subscribed = 0;
    s.on_subscribed = [&] { ++subscribed; };
    s.start();
    run_for(io, 500ms);
    CHECK(subscribed == 0);
}
