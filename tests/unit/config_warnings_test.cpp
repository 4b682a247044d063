// config::warnings(): valid settings that are most likely a mistake.
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

using namespace onymous::config;
using namespace onymous::config::test;

TEST_CASE("a plain loopback listener without trusted_proxies is warned about", "[config]") {
    const auto s = parse_plain("");
    REQUIRE(warnings(s) ==
            std::vector<std::string>{
                "listeners[0] (127.0.0.1 port 0) is plain on loopback, as behind a "
                "TLS-terminating proxy, but trusted_proxies is empty: X-Forwarded-For is ignored "
                "and every client counts as the proxy's address for the per-address limits"});
    CHECK(warnings(parse_plain("trusted_proxies: [127.0.0.1/32]\n")).empty());
    // Not loopback, TLS, or PROXY protocol: no proxy of the nginx kind in front.
    CHECK(warnings(parse("listeners: [{address: 10.0.0.1, port: 0, tls: false}]\n", "t.yaml"))
              .empty());
    CHECK(warnings(parse("listeners: [{address: '::1', port: 0, tls: false, proxy_protocol: "
                         "true}]\ntrusted_proxies: ['::1/128']\n",
                         "t.yaml"))
              .empty());
    CHECK(
        warnings(parse("listeners: [{address: '::1', port: 7, tls: false}]\n", "t.yaml")).size() ==
        1);
}

TEST_CASE("a PROXY listener without trusted_proxies is warned about", "[config]") {
    REQUIRE(warnings(parse("listeners: [{address: 10.0.0.1, port: 8443, proxy_protocol: true}]\n"
                           "tls: {certificate: c.pem, private_key: k.pem}\n",
                           "t.yaml")) ==
            std::vector<std::string>{
                "listeners[0] (10.0.0.1 port 8443) has proxy_protocol: true but trusted_proxies "
                "is empty: a PROXY header is believed from any peer, so a client that reaches "
                "this port directly chooses its own address for the per-address limits; list "
                "the load balancers in trusted_proxies"});
}

TEST_CASE("per-pairing offers that can exceed the outbound bound are warned about", "[config]") {
    const std::string quiet = "trusted_proxies: [127.0.0.1/32]\n";
    // The defaults hold: 20 x 32768 = 655360 <= 1048576.
    CHECK(warnings(parse_plain(quiet)).empty());
    CHECK(warnings(parse_plain(quiet + "limits: {pair_max_offers: 32}\n")).empty());
    REQUIRE(warnings(parse_plain(quiet + "limits: {pair_max_offers: 33}\n")) ==
            std::vector<std::string>{
                "limits.pair_max_offers x limits.max_sdp_bytes (33 x 32768 = 1081344 bytes) "
                "exceeds limits.max_outbound_bytes (1048576): a partner within its per-pairing "
                "caps can fill a slow reader's outbound queue and have it closed with 1008"});
}

TEST_CASE("a budget that idle connections alone can half fill is warned about", "[config]") {
    const std::string quiet = "trusted_proxies: [127.0.0.1/32]\n";
    // 4096 connections x 256 bytes = 1 MiB, exactly half of 2 MiB: fine.
    CHECK(warnings(parse_plain(quiet + "limits: {max_connections: 4096, max_buffered_bytes: "
                                       "2097152}\n"))
              .empty());
    REQUIRE(warnings(parse_plain(quiet + "limits: {max_connections: 4097, max_buffered_bytes: "
                                         "2097152}\n")) ==
            std::vector<std::string>{
                "limits.max_connections x 256 bytes (what each connection holds for its next "
                "message) = 1048832 bytes is more than half of limits.max_buffered_bytes "
                "(2097152): idle connections alone can bring the budget near its 90 % mark, "
                "where newcomers are refused"});
}
