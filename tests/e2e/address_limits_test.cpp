// Per-address limits (PROTOCOL.md, Transport and Privacy; CONFIG.md,
// limits.max_connections_per_address and
// limits.new_connections_per_address_per_minute): over a limit a direct
// client is closed before TLS, and one behind a trusted proxy gets 503 with
// Retry-After; IPv6 counts per /64 and IPv4-mapped IPv6 as IPv4;
// X-Forwarded-For is believed only from trusted_proxies, rightmost untrusted
// entry first.
//
// Loopback has one IPv6 address, so other clients' addresses reach the
// daemon the way production ones do behind a proxy: named by a trusted
// proxy's X-Forwarded-For.

#include "lifecycle.hpp"
#include "raw_tls.hpp"

#include <thread>

using namespace onymous::test;
using steady = std::chrono::steady_clock;

namespace {

const std::string per_address_body = "too many connections from your address, retry later\n";

/// Opens a TLS client whose X-Forwarded-For lines are `forwarded`, from
/// `source` (empty: 127.0.0.1). Returns the client, connected or refused.
ws_client try_client(const daemon_process& daemon, std::vector<std::string> forwarded = {},
                     const std::string& source = {}) {
    connect_options options;
    options.link.source_address = source;
    for (auto& line : forwarded) options.headers.emplace_back("X-Forwarded-For", std::move(line));
    ws_client client;
    client.connect(daemon.tls_port(), options);
    return client;
}

/// Requires the upgrade to succeed and hello to arrive.
ws_client admitted(const daemon_process& daemon, std::vector<std::string> forwarded = {},
                   const std::string& source = {}) {
    auto client = try_client(daemon, std::move(forwarded), source);
    INFO(client.error());
    REQUIRE(client.upgrade_response().status == 101);
    expect_type(client, "hello");
    return client;
}

/// Requires a 503 with exactly `retry_after` and the per-address body.
void refused(const daemon_process& daemon, std::vector<std::string> forwarded,
             const std::string& retry_after, const std::string& source = {}) {
    auto client = try_client(daemon, std::move(forwarded), source);
    const auto& response = client.upgrade_response();
    REQUIRE(response.status == 503);
    CHECK(response.header("retry-after") == retry_after);
    CHECK(response.body == per_address_body);
}

/// Requires a direct client (from `source`) to be closed before TLS.
void refused_direct(const daemon_process& daemon, const std::string& source = {}) {
    link_options link;
    link.source_address = source;
    const auto answer = answer_to_client_hello(daemon.tls_port(), link);
    REQUIRE(answer.connected);
    CHECK(answer.bytes == 0);
    CHECK(answer.closed);
}

/// The per-address refusals counted so far (both limits).
double refusals(const daemon_process& daemon) {
    return metric(daemon, "onymous_per_address_refusals_total").value_or(-1);
}

}  // namespace

TEST_CASE("the per-address cap closes a direct client before TLS, other addresses go on",
          "[address_limits_test][e2e]") {
    daemon_process daemon({{"limits.max_connections_per_address", 2}});
    auto first = admitted(daemon);
    auto second = admitted(daemon);
    refused_direct(daemon);
    // Another address is another client.
    auto elsewhere = admitted(daemon, {}, "127.0.0.2");
    pair(first, elsewhere);
    // An untrusted peer's X-Forwarded-For changes nothing: it is closed
    // before its request could even be read.
    auto forged = try_client(daemon, {"198.51.100.7"});
    REQUIRE(forged.upgrade_response().status == 0);
    REQUIRE(refusals(daemon) == 2);

    // A closed connection gives its place back.
    second.close(1000);
    require_metric(daemon, "onymous_connections", 2);
    auto again = admitted(daemon);
    require_metric(daemon, "onymous_tracked_addresses", 2);
    finish_clean(daemon);
}

TEST_CASE("the new-connection rate refuses with the seconds until the next one",
          "[address_limits_test][e2e]") {
    daemon_process daemon({{"limits.new_connections_per_address_per_minute", 3},
                           {"trusted_proxies", json::array({"127.0.0.1/32"})}});
    // Through the trusted proxy (127.0.0.1), the client is 198.51.100.7,
    // and its refusal is a 503 that says when to come back.
    for (int i = 0; i < 3; ++i) admitted(daemon, {"198.51.100.7"}).close(1000);
    // 3 a minute is one every 20 s; the bucket has just been emptied.
    auto client = try_client(daemon, {"198.51.100.7"});
    REQUIRE(client.upgrade_response().status == 503);
    const int retry_after = std::stoi(client.upgrade_response().header("retry-after"));
    CHECK(retry_after >= 19);
    CHECK(retry_after <= 20);
    auto other = admitted(daemon, {"198.51.100.8"});
    REQUIRE(refusals(daemon) == 1);
    // Held a minute at most (PROTOCOL.md, Privacy): both addresses are tracked now.
    require_metric(daemon, "onymous_tracked_addresses", 2);
    finish_clean(daemon);
}

TEST_CASE("behind a trusted proxy the client is the rightmost untrusted X-Forwarded-For entry",
          "[address_limits_test][e2e]") {
    daemon_process daemon({{"limits.max_connections_per_address", 1},
                           {"trusted_proxies", json::array({"127.0.0.1/32", "10.0.0.0/8"})}});
    // The leftmost entry is the client's to forge; 198.51.100.1 was seen by the proxy.
    auto a = admitted(daemon, {"203.0.113.9, 198.51.100.1, 10.1.1.1"});
    refused(daemon, {"203.0.113.77, 198.51.100.1"}, "10");
    auto b = admitted(daemon, {"198.51.100.1, 198.51.100.2"});
    // Several header lines are one list, in order.
    auto c = admitted(daemon, {"198.51.100.3", "10.2.2.2"});
    refused(daemon, {"198.51.100.3"}, "10");
    // Ports and brackets are ignored.
    refused(daemon, {"198.51.100.3:4711"}, "10");
    // A request without the header counts as the proxy itself.
    auto d = admitted(daemon);
    refused(daemon, {}, "10");
    // From an untrusted peer the header is ignored: the peer is the client.
    auto e = admitted(daemon, {"198.51.100.9"}, "127.0.0.2");
    refused_direct(daemon, "127.0.0.2");
    REQUIRE(refusals(daemon) == 5);
    pair(a, b);
    finish_clean(daemon);
}

TEST_CASE("an IPv6 /64 counts as one client, an IPv4-mapped address as its IPv4 address",
          "[address_limits_test][e2e]") {
    daemon_process daemon({{"limits.max_connections_per_address", 1},
                           {"trusted_proxies", json::array({"127.0.0.1/32"})}});
    auto v6 = admitted(daemon, {"2001:db8:1:2::1"});
    refused(daemon, {"2001:db8:1:2:ffff:ffff:ffff:ffff"}, "10");
    refused(daemon, {"[2001:db8:1:2::3]:4711"}, "10");
    auto next_64 = admitted(daemon, {"2001:db8:1:3::1"});
    auto v4 = admitted(daemon, {"198.51.100.7"});
    refused(daemon, {"::ffff:198.51.100.7"}, "10");
    auto mapped = admitted(daemon, {"::ffff:198.51.100.8"});
    refused(daemon, {"198.51.100.8"}, "10");
    REQUIRE(refusals(daemon) == 4);
    finish_clean(daemon);
}
