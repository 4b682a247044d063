// HTTP before the upgrade (PROTOCOL.md: Transport): subprotocol selection,
// 404, 400, 403 for a foreign Origin, 503 with Retry-After at the connection
// cap, the handshake timeout, and the admin listener.

#include "helpers.hpp"
#include "lifecycle.hpp"
#include "raw_tls.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

using namespace onymous::test;

namespace {

/// A Prometheus text-format sample: `name{labels} value [timestamp]`.
bool is_prometheus_sample(const std::string& line) {
    const auto name_end = line.find_first_of("{ ");
    if (name_end == 0 || name_end == std::string::npos) return false;
    const auto name_ok = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
    };
    if (!std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(name_end), name_ok) ||
        std::isdigit(static_cast<unsigned char>(line[0])))
        return false;
    auto rest = line.substr(name_end);
    if (rest[0] == '{') {
        const auto close = rest.find("} ");
        if (close == std::string::npos) return false;
        rest = rest.substr(close + 1);
    }
    std::istringstream fields(rest);
    std::string value;
    std::string timestamp;
    std::string extra;
    fields >> value >> timestamp >> extra;
    if (value.empty() || !extra.empty()) return false;
    if (value != "NaN" && value != "+Inf" && value != "-Inf") {
        std::size_t used = 0;
        try {
            (void)std::stod(value, &used);
        } catch (const std::exception&) {
            return false;
        }
        if (used != value.size()) return false;
    }
    return timestamp.empty() || std::all_of(timestamp.begin(), timestamp.end(), [](char c) {
               return std::isdigit(static_cast<unsigned char>(c)) != 0;
           });
}

}  // namespace

TEST_CASE("GET /ws upgrades on both listeners and selects onymous.v1 when offered",
          "[http_test][e2e]") {
    daemon_process daemon;
    for (const bool tls : {true, false}) {
        INFO((tls ? "TLS" : "plain") << " listener");
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        // Among other offers, onymous.v1 is selected.
        auto both = http_exchange(
            port, tls, upgrade_request("/ws", {"Sec-WebSocket-Protocol: chat, onymous.v1"}));
        REQUIRE(both.status == 101);
        REQUIRE(both.header("sec-websocket-protocol") == "onymous.v1");
        // Other offers are ignored: no subprotocol is selected.
        auto other =
            http_exchange(port, tls, upgrade_request("/ws", {"Sec-WebSocket-Protocol: chat"}));
        REQUIRE(other.status == 101);
        REQUIRE_FALSE(other.has_header("sec-websocket-protocol"));
        // Not offering one is fine too.
        connect_options options;
        options.tls = tls;
        options.subprotocol.reset();
        auto client = open_client(daemon, options);
        REQUIRE_FALSE(client.upgrade_response().has_header("sec-websocket-protocol"));
        ping_pong(client);
    }
    finish(daemon);
}

TEST_CASE("other paths get 404 and malformed requests 400", "[http_test][e2e]") {
    daemon_process daemon;
    for (const bool tls : {true, false}) {
        INFO((tls ? "TLS" : "plain") << " listener");
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        REQUIRE(http_exchange(port, tls, upgrade_request("/nope")).status == 404);
        REQUIRE(http_exchange(port, tls, upgrade_request("/ws/extra")).status == 404);
        REQUIRE(http_exchange(port, tls, get_request("/")).status == 404);
        REQUIRE(http_exchange(port, tls, get_request("/index.html")).status == 404);
        // Through the client too: the upgrade is refused with the status.
        ws_client client;
        connect_options options;
        options.tls = tls;
        options.target = "/socket";
        REQUIRE_FALSE(client.connect(port, options));
        REQUIRE(client.upgrade_response().status == 404);

        REQUIRE(http_exchange(port, tls, "GET /ws HTTP/1.1\r\nHost localhost\r\n\r\n").status ==
                400);
        REQUIRE(http_exchange(port, tls,
                              "GET /ws HTTP/1.1\r\nHost: localhost\r\nContent-Length: x\r\n\r\n")
                    .status == 400);
        REQUIRE(http_exchange(port, tls, "GET\r\n\r\n").status == 400);
    }
    finish(daemon);
}

TEST_CASE("an Origin not in allowed_origins gets 403 before the upgrade", "[http_test][e2e]") {
    daemon_process daemon({{"allowed_origins", json::array({"https://chat.onymous.example",
                                                            "http://localhost:3000"})}});
    for (const bool tls : {true, false}) {
        INFO((tls ? "TLS" : "plain") << " listener");
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        for (const std::string origin :
             {"https://evil.example", "https://chat.onymous.example.evil.example",
              "http://chat.onymous.example", "https://chat.onymous.example:8443"}) {
            INFO("Origin: " << origin);
            REQUIRE(
                http_exchange(port, tls, upgrade_request("/ws", {"Origin: " + origin})).status ==
                403);
        }
        ws_client refused;
        connect_options options;
        options.tls = tls;
        options.origin = "https://evil.example";
        REQUIRE_FALSE(refused.connect(port, options));
        REQUIRE(refused.upgrade_response().status == 403);
        for (const std::string origin : {"https://chat.onymous.example", "http://localhost:3000"}) {
            options.origin = origin;
            auto client = open_client(daemon, options);
            ping_pong(client);
        }
    }
    finish(daemon);
}

TEST_CASE("at max_connections a direct client is closed before TLS, a proxied one gets 503",
          "[http_test][e2e]") {
    daemon_process daemon(
        {{"limits.max_connections", 2}, {"trusted_proxies", json::array({"127.0.0.2/32"})}});
    auto first = open_client(daemon);
    connect_options plain;
    plain.tls = false;
    auto second = open_client(daemon, plain);
    link_options proxy;
    proxy.source_address = "127.0.0.2";
    for (const bool tls : {true, false}) {
        INFO((tls ? "TLS" : "plain") << " listener");
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        // The peer is the client: closed at accept, nothing read, nothing sent.
        const auto direct = answer_to_client_hello(port);
        REQUIRE(direct.connected);
        CHECK(direct.bytes == 0);
        CHECK(direct.closed);
        // Behind a trusted proxy the client is known only from its request.
        const auto refused = http_exchange(port, tls, upgrade_request("/ws"), 10s, proxy);
        REQUIRE(refused.status == 503);
        INFO("Retry-After: " << refused.header("retry-after"));
        const auto retry_after = refused.header("retry-after");
        REQUIRE_FALSE(retry_after.empty());
        REQUIRE(std::all_of(retry_after.begin(), retry_after.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
        }));
    }
    require_metric(daemon, "onymous_refused_connections_total", 4);
    // The connected ones are unaffected, and a freed place can be taken.
    ping_pong(first);
    ping_pong(second);
    REQUIRE(second.close().closed);
    require_metric(daemon, "onymous_connections", 1);
    auto third = open_client(daemon);
    finish(daemon);
}

TEST_CASE("a connection that does not complete its handshake is closed after handshake_timeout",
          "[http_test][e2e]") {
    ONYMOUS_REQUIRE_TIMING_BUILD();
    daemon_process daemon({{"limits.handshake_timeout", "500ms"}});
    // Silent TCP on the TLS listener (no ClientHello), TLS done but no HTTP,
    // and silent TCP on the plain listener.
    silent_connection no_tls(daemon.tls_port(), false);
    silent_connection no_http(daemon.tls_port(), true);
    silent_connection plain(daemon.plain_port(), false);
    for (auto* connection : {&no_tls, &no_http, &plain})
        REQUIRE_FALSE(connection->wait_closed(100ms));
    for (auto* connection : {&no_tls, &no_http, &plain}) REQUIRE(connection->wait_closed(5s));
    // A client that completes in time is not affected.
    auto client = open_client(daemon);
    REQUIRE(client.expect_silence(800ms));
    ping_pong(client);
    finish(daemon);
}

TEST_CASE("the admin listener answers /healthz, /readyz and /metrics", "[http_test][e2e]") {
    daemon_process daemon;
    auto client = open_client(daemon);
    join(client);
    const auto port = daemon.admin_port();
    REQUIRE(http_exchange(port, false, get_request("/healthz")).status == 200);
    REQUIRE(http_exchange(port, false, get_request("/readyz")).status == 200);
    const auto metrics = http_exchange(port, false, get_request("/metrics"));
    REQUIRE(metrics.status == 200);
    INFO("Content-Type: " << metrics.header("content-type") << "\n" << metrics.body);
    REQUIRE(metrics.header("content-type").rfind("text/plain", 0) == 0);
    // Prometheus text format: comments, and samples "name{labels} value".
    std::istringstream lines(metrics.body);
    std::string line;
    int samples = 0;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        INFO("line: " << line);
        REQUIRE(is_prometheus_sample(line));
        ++samples;
    }
    REQUIRE(samples > 0);
    finish(daemon);
}
