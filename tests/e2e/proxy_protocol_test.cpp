// PROXY protocol v2 (CONFIG.md, listeners[].proxy_protocol): a listener with
// the option reads the header from the raw socket before TLS and counts the
// connection as its source address (over a limit it is closed right after
// the header, before TLS); LOCAL keeps the connection's own address. A
// listener without the option never parses one. A malformed, truncated or
// late header closes the connection unanswered, within the handshake
// deadline, and disturbs nobody else. (Only from trusted proxies when
// trusted_proxies is set: admission_test.cpp.)

#include "lifecycle.hpp"
#include "raw_tls.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>

using namespace onymous::test;
using steady = std::chrono::steady_clock;

namespace {

const std::string signature("\r\n\r\n\0\r\nQUIT\n", 12);

/// A PROXY v2 header: command 0x20 LOCAL or 0x21 PROXY, family/transport
/// byte, and the address block (plus any TLVs).
std::string proxy_header(int command, int family, const std::string& block) {
    std::string out = signature;
    out += static_cast<char>(command);
    out += static_cast<char>(family);
    out += static_cast<char>(block.size() >> 8);
    out += static_cast<char>(block.size() & 0xFF);
    return out + block;
}

std::string address_bytes(int family, const std::string& text) {
    unsigned char bytes[16] = {};
    REQUIRE(inet_pton(family, text.c_str(), bytes) == 1);
    return std::string(reinterpret_cast<const char*>(bytes), family == AF_INET ? 4 : 16);
}

/// PROXY TCP over IPv4 from `source`:4711 to 10.0.0.1:443.
std::string tcp4_from(const std::string& source) {
    return proxy_header(0x21, 0x11,
                        address_bytes(AF_INET, source) + address_bytes(AF_INET, "10.0.0.1") +
                            std::string("\x12\x67\x01\xbb", 4));
}

/// PROXY TCP over IPv6 from `source`, with a TLV after the addresses as
/// cloud balancers send.
std::string tcp6_from(const std::string& source) {
    return proxy_header(0x21, 0x21,
                        address_bytes(AF_INET6, source) + address_bytes(AF_INET6, "2001:db8::1") +
                            std::string("\x12\x67\x01\xbb", 4) + std::string("\x04\x00\x03vpc", 6));
}

const std::string local_header = proxy_header(0x20, 0x00, "");

enum class outcome { closed_unanswered, answered, still_open };

/// Connects to 127.0.0.1:port, writes `bytes` and waits up to `timeout` for
/// the server to close the connection.
outcome after_sending(std::uint16_t port, const std::string& bytes, duration timeout) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    // A connection refused at accept is reset, perhaps before this send:
    // then the send fails, and the read below sees the reset.
    const auto sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    REQUIRE((sent == static_cast<ssize_t>(bytes.size()) ||
             (sent < 0 && (errno == ECONNRESET || errno == EPIPE))));
    outcome result = outcome::still_open;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
        char buffer[256];
        const auto n = ::recv(fd, buffer, sizeof buffer, 0);
        result = n > 0 ? outcome::answered : outcome::closed_unanswered;
    }
    ::close(fd);
    return result;
}

config_tree listener_row(bool tls, bool proxy) {
    return {{"address", "127.0.0.1"}, {"port", 0}, {"tls", tls}, {"proxy_protocol", proxy}};
}

struct ports {
    std::uint16_t tls_proxy, plain_proxy, tls, plain;
};

ports ports_of(const daemon_process& daemon) {
    const auto& l = daemon.listeners();
    REQUIRE(l.size() >= 4);
    return {l[0].port, l[1].port, l[2].port, l[3].port};
}

/// Listeners: 0 TLS with PROXY, 1 plain with PROXY, 2 TLS, 3 plain.
const json four_listeners = json::array({listener_row(true, true), listener_row(false, true),
                                         listener_row(true, false), listener_row(false, false)});

ws_client proxied_client(std::uint16_t port, bool tls, const std::string& header) {
    connect_options options;
    options.tls = tls;
    options.link.prelude = header;
    ws_client client;
    client.connect(port, options);
    return client;
}

ws_client admitted(std::uint16_t port, bool tls, const std::string& header) {
    auto client = proxied_client(port, tls, header);
    INFO(client.error());
    REQUIRE(client.upgrade_response().status == 101);
    expect_type(client, "hello");
    return client;
}

/// Closed right after the header: no ServerHello, no HTTP answer.
void refused(std::uint16_t port, bool tls, const std::string& header) {
    if (tls) {
        link_options link;
        link.prelude = header;
        const auto answer = answer_to_client_hello(port, link);
        CHECK(answer.bytes == 0);
        CHECK(answer.closed);
    } else {
        CHECK(after_sending(port, header + upgrade_request("/ws"), allowance(5s)) ==
              outcome::closed_unanswered);
    }
}

}  // namespace

TEST_CASE("a PROXY v2 listener counts each connection as the header's source",
          "[proxy_protocol_test][e2e]") {
    daemon_process daemon(
        {{"listeners", four_listeners}, {"limits.max_connections_per_address", 1}});
    const auto p = ports_of(daemon);
    for (const bool tls : {true, false}) {
        INFO((tls ? "TLS" : "plain") << " listener with proxy_protocol");
        const auto port = tls ? p.tls_proxy : p.plain_proxy;
        auto a = admitted(port, tls, tcp4_from("198.51.100.7"));
        refused(port, tls, tcp4_from("198.51.100.7"));
        auto b = admitted(port, tls, tcp4_from("198.51.100.8"));
        // IPv6 per /64, with a TLV that is skipped.
        auto c = admitted(port, tls, tcp6_from("2001:db8:7:7::1"));
        refused(port, tls, tcp6_from("2001:db8:7:7::2"));
        // LOCAL (a balancer's health check): the connection's own address.
        auto d = admitted(port, tls, local_header);
        refused(port, tls, local_header);
        // The relay works through it.
        pair(a, b);
        const auto sdp = text_sdp("proxied");
        a.send_json(offer_message(sdp));
        expect_message(b, {{"type", "offer"}, {"sdp", sdp}});
        a.close(1000);
        b.close(1000);
        c.close(1000);
        d.close(1000);
        require_metric(daemon, "onymous_connections", 0);
    }
    REQUIRE(metric(daemon, "onymous_per_address_refusals_total") == 6);
    REQUIRE(metric(daemon, "onymous_proxy_header_failures_total") == 0);
    finish_clean(daemon);
}

TEST_CASE("a listener without proxy_protocol never parses a PROXY header",
          "[proxy_protocol_test][e2e]") {
    daemon_process daemon(
        {{"listeners", four_listeners}, {"limits.max_connections_per_address", 1}});
    const auto p = ports_of(daemon);
    // Plain: the header is a malformed HTTP request.
    const auto response =
        http_exchange(p.plain, false, tcp4_from("198.51.100.7") + upgrade_request("/ws"));
    CHECK(response.status == 400);
    // TLS: the header is not a ClientHello.
    auto tls = proxied_client(p.tls, true, tcp4_from("198.51.100.7"));
    CHECK(tls.upgrade_response().status == 0);
    CHECK_FALSE(tls.error().empty());
    // Direct clients are served as ever, once the two connections above
    // have given their place back (a cap of 1 for 127.0.0.1): waiting for
    // the gauge, not racing their teardown.
    require_metric(daemon, "onymous_connections", 0);
    auto direct = admitted(p.tls, true, "");
    REQUIRE(metric(daemon, "onymous_proxy_header_failures_total") == 0);
    finish_clean(daemon);
}

TEST_CASE("a malformed, truncated or late PROXY header closes the connection unanswered",
          "[proxy_protocol_test][e2e]") {
    daemon_process daemon({{"listeners", four_listeners}, {"limits.handshake_timeout", "1s"}});
    const auto p = ports_of(daemon);
    auto bystander_a = admitted(p.tls, true, "");
    auto bystander_b = admitted(p.tls_proxy, true, tcp4_from("198.51.100.20"));
    pair(bystander_a, bystander_b);

    auto wrong_signature = tcp4_from("198.51.100.7");
    wrong_signature[5] = 'X';
    auto version_1 = tcp4_from("198.51.100.7");
    version_1[12] = 0x11;
    auto unknown_command = tcp4_from("198.51.100.7");
    unknown_command[12] = 0x2F;
    auto unknown_family = tcp4_from("198.51.100.7");
    unknown_family[13] = 0x51;
    auto short_block = proxy_header(0x21, 0x11, std::string(11, '\0'));
    auto too_long = proxy_header(0x21, 0x11, std::string(1025, '\0'));
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"wrong signature", wrong_signature},
        {"version 1 in a v2 header", version_1},
        {"unknown command", unknown_command},
        {"unknown family", unknown_family},
        {"address block too short", short_block},
        {"longer than 1024 bytes", too_long},
        {"PROXY protocol version 1 text", "PROXY TCP4 198.51.100.7 10.0.0.1 4711 443\r\n"},
        {"a TLS ClientHello",
         std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(5, '\0')},
        {"an HTTP request", upgrade_request("/ws")},
    };
    double failures = 0;
    for (const auto& [name, bytes] : bad) {
        for (const auto port : {p.tls_proxy, p.plain_proxy}) {
            INFO(name << " on port " << port);
            CHECK(after_sending(port, bytes, allowance(2s)) == outcome::closed_unanswered);
            ++failures;
        }
    }
    // Truncated: the handshake deadline (1 s) covers the header too.
    const auto start = steady::now();
    CHECK(after_sending(p.tls_proxy, tcp4_from("198.51.100.7").substr(0, 20), allowance(3s)) ==
          outcome::closed_unanswered);
    const auto took = std::chrono::duration_cast<duration>(steady::now() - start);
    CHECK(took >= 900ms);
    CHECK(after_sending(p.plain_proxy, signature.substr(0, 7), allowance(3s)) ==
          outcome::closed_unanswered);
    failures += 2;
    require_metric(daemon, "onymous_proxy_header_failures_total", failures);

    // The bystanders relay on.
    const auto sdp = text_sdp("bystander");
    bystander_a.send_json(offer_message(sdp));
    expect_message(bystander_b, {{"type", "offer"}, {"sdp", sdp}});
    finish_clean(daemon);
}
