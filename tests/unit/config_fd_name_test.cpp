// listeners[].fd_name: a socket passed by systemd (socket activation).

#include "config_test_support.hpp"

#include <catch2/catch.hpp>

using namespace onymous::config;
using namespace onymous::config::test;

TEST_CASE("a listener with fd_name needs no address or port", "[config]") {
    const settings s = parse(
        "listeners:\n  - {fd_name: https}\n  - {fd_name: plain, tls: false}\n"
        "tls: {certificate: /c.pem, private_key: /k.pem}\n",
        "t.yaml");
    REQUIRE(s.listeners.size() == 2);
    CHECK(s.listeners[0].fd_name == "https");
    CHECK(s.listeners[0].tls);
    CHECK(s.listeners[0].address.empty());
    CHECK(s.listeners[1].fd_name == "plain");
    CHECK_FALSE(s.listeners[1].tls);
    CHECK(parse(std::string(plain), "t.yaml").listeners[0].fd_name.empty());
}

TEST_CASE("fd_name takes systemd's FileDescriptorName= characters", "[config]") {
    CHECK(parse("listeners: [{fd_name: \"web 1.x_y-z\", tls: false}]\n", "t.yaml")
              .listeners[0]
              .fd_name == "web 1.x_y-z");
    const std::string expected =
        "expected a socket name as in systemd's FileDescriptorName= (printable ASCII without "
        "':', at most 255 characters), got ";
    CHECK(refusal("listeners: [{fd_name: \"a:b\", tls: false}]\n") ==
          "t.yaml:1: listeners[0].fd_name: " + expected + "\"a:b\"");
    CHECK(refusal("listeners: [{fd_name: \"tab\\there\", tls: false}]\n") ==
          "t.yaml:1: listeners[0].fd_name: " + expected + "\"tab\\x09here\"");
    CHECK(refusal("listeners: [{fd_name: \"" + std::string(256, 'a') + "\", tls: false}]\n")
              .starts_with("t.yaml:1: listeners[0].fd_name: " + expected));
}

TEST_CASE("two listeners cannot take the same passed socket", "[config]") {
    CHECK(refusal("listeners:\n  - {fd_name: web, tls: false}\n  - {fd_name: web, tls: false}\n") ==
          "t.yaml:3: listeners[1].fd_name: same fd_name as listeners[0]");
    // Passed sockets are not compared by address: both have none.
    CHECK(
        parse("listeners:\n  - {fd_name: a, tls: false}\n  - {fd_name: b, tls: false}\n", "t.yaml")
            .listeners.size() == 2);
}
