// Refusal before TLS (PROTOCOL.md, Transport): a direct client over a
// limit, and a PROXY header from a peer that is not a trusted proxy, are
// closed before a byte is read: no ServerHello, no HTTP answer. A session
// in its resume grace keeps its place under both connection limits until
// it is resumed or its grace ends. Refusals are counted by reason and stage.

#include "lifecycle.hpp"
#include "prometheus_text.hpp"
#include "raw_tls.hpp"

#include <arpa/inet.h>

using namespace onymous::test;

namespace {

/// Requires the connection to be closed unanswered, as a TLS client sees it.
void refused_before_tls(std::uint16_t port, const link_options& link = {}) {
    const auto answer = answer_to_client_hello(port, link);
    REQUIRE(answer.connected);
    CHECK(answer.bytes == 0);
    CHECK(answer.closed);
}

/// onymous_refused_connections_total{reason, stage}.
double refusals(const daemon_process& daemon, const std::string& reason, const std::string& stage) {
    const auto text = http_exchange(daemon.admin_port(), false, get_request("/metrics")).body;
    const auto parsed = parse_prometheus_text(text);
    return parsed.value_or_zero("onymous_refused_connections_total",
                                {{"reason", reason}, {"stage", stage}});
}

/// A PROXY v2 header: TCP over IPv4 from `source`:4711 to 10.0.0.1:443.
std::string proxy_from(const std::string& source) {
    std::string out("\r\n\r\n\0\r\nQUIT\n", 12);
    out += '\x21';
    out += '\x11';
    out += std::string("\x00\x0c", 2);
    unsigned char bytes[4];
    REQUIRE(inet_pton(AF_INET, source.c_str(), bytes) == 1);
    out.append(reinterpret_cast<const char*>(bytes), 4);
    out += std::string("\x0a\x00\x00\x01\x12\x67\x01\xbb", 8);
    return out;
}

}  // namespace

TEST_CASE("a direct client over a limit gets no ServerHello", "[admission_test][e2e]") {
    daemon_process daemon({{"limits.max_connections_per_address", 2},
                           {"limits.new_connections_per_address_per_minute", 6},
                           {"limits.max_connections", 4}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    // The address's cap: closed at accept.
    refused_before_tls(daemon.tls_port());
    CHECK(refusals(daemon, "per_address_open", "accept") == 1);
    // Another address goes on, until the daemon's own cap (4, counting the two above).
    connect_options elsewhere;
    elsewhere.link.source_address = "127.0.0.2";
    auto c = open_client(daemon, elsewhere);
    auto d = open_client(daemon, elsewhere);
    link_options third;
    third.source_address = "127.0.0.3";
    refused_before_tls(daemon.tls_port(), third);
    CHECK(refusals(daemon, "capacity", "accept") == 1);
    // The rate: 6 a minute per address (a refusal at capacity took none).
    c.close(1000);
    require_metric(daemon, "onymous_connections", 3);
    connect_options from_third;
    from_third.link = third;
    for (int i = 0; i < 6; ++i) {
        auto e = open_client(daemon, from_third);
        e.close(1000);
        require_metric(daemon, "onymous_connections", 3);
    }
    refused_before_tls(daemon.tls_port(), third);
    CHECK(refusals(daemon, "per_address_rate", "accept") == 1);
    // Refused connections held nothing; the admitted ones relay on.
    pair(a, b);
    const auto offer = offer_message(text_sdp("admitted"));
    a.send_json(offer);
    expect_message(b, offer);
    CHECK(metric(daemon, "onymous_per_address_refusals_total") == 2);
    finish_clean(daemon);
}

TEST_CASE("sessions in their grace keep their places until they resume or their grace ends",
          "[admission_test][e2e]") {
    daemon_process daemon(
        {{"limits.max_connections_per_address", 3}, {"limits.resume_grace", "2s"}, quick_close});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    auto z = open_client(daemon);
    const auto a_token = hello_token(a);
    const auto a_seq = a.last_seq();
    a.drop();
    z.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 2);
    require_metric(daemon, "onymous_websocket_connections", 1);
    // Two sessions in their grace and b: the address is at its cap.
    refused_before_tls(daemon.tls_port());
    CHECK(refusals(daemon, "per_address_open", "accept") == 1);
    require_metric(daemon, "onymous_connection_places", 3);
    require_metric(daemon, "onymous_connections", 1);  // b's: the refused one is gone

    // b leaves for good; a resumes in the place it left, and then counts
    // once, on its new connection.
    b.close(1000);
    require_metric(daemon, "onymous_connection_places", 2);
    auto again = open_resuming(daemon, a_token, a_seq);
    expect_resumed(again, "idle", "", a_token);
    expect_at(again, {{"type", "partner_left"}}, a_seq + 1);
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    require_metric(daemon, "onymous_connection_places", 2);  // again, and z in its grace
    auto third = open_client(daemon);
    refused_before_tls(daemon.tls_port());
    CHECK(refusals(daemon, "per_address_open", "accept") == 2);

    // z's grace ends: its place is free again.
    require_metric(daemon, "onymous_sessions_in_grace", 0, allowance(5s));
    require_metric(daemon, "onymous_connection_places", 2);
    auto fourth = open_client(daemon);
    join(fourth);
    finish_clean(daemon);
}

TEST_CASE("a PROXY header is read only from trusted proxies", "[admission_test][e2e]") {
    const json listeners = json::array(
        {{{"address", "127.0.0.1"}, {"port", 0}, {"tls", true}, {"proxy_protocol", true}}});
    daemon_process daemon(
        {{"listeners", listeners}, {"trusted_proxies", json::array({"127.0.0.2/32"})}});
    const auto port = daemon.listeners().at(0).port;
    // From a peer that is not a trusted proxy: closed before the header is read.
    link_options direct;
    direct.prelude = proxy_from("198.51.100.7");
    refused_before_tls(port, direct);
    CHECK(refusals(daemon, "untrusted_peer", "accept") == 1);
    CHECK(metric(daemon, "onymous_proxy_header_failures_total") == 0);
    // From the trusted proxy: served, as the header's source.
    connect_options proxied;
    proxied.link.source_address = "127.0.0.2";
    proxied.link.prelude = proxy_from("198.51.100.7");
    auto a = open_client(daemon, proxied);
    proxied.link.prelude = proxy_from("198.51.100.8");
    auto b = open_client(daemon, proxied);
    pair(a, b);
    finish_clean(daemon);
}

TEST_CASE("a client named by a PROXY header over a limit is closed right after the header",
          "[admission_test][e2e]") {
    const json listeners = json::array(
        {{{"address", "127.0.0.1"}, {"port", 0}, {"tls", true}, {"proxy_protocol", true}}});
    daemon_process daemon({{"listeners", listeners},
                           {"trusted_proxies", json::array({"127.0.0.1/32"})},
                           {"limits.max_connections_per_address", 1}});
    const auto port = daemon.listeners().at(0).port;
    connect_options proxied;
    proxied.link.prelude = proxy_from("198.51.100.7");
    auto a = open_client(daemon, proxied);
    refused_before_tls(port, proxied.link);
    CHECK(refusals(daemon, "per_address_open", "proxy_header") == 1);
    proxied.link.prelude = proxy_from("198.51.100.8");
    auto b = open_client(daemon, proxied);
    pair(a, b);
    finish_clean(daemon);
}
