// Slow and half-open clients: thousands of connections that send a byte
// now and then must not keep a fresh client from connecting and pairing,
// and each is closed at the handshake deadline, which covers the TLS
// handshake and the HTTP request together (a byte does not extend it).

#include "lifecycle.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

using namespace onymous::test;
using steady = std::chrono::steady_clock;

namespace {

/// One slow client: a non-blocking socket that sends the next byte of
/// `script` each time it is nudged.
struct slow_client {
    int fd = -1;
    const std::string* script = nullptr;
    std::size_t sent = 0;
};

int connect_from(const std::string& source, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, source.c_str(), &from.sin_addr) == 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
    REQUIRE((rc == 0 || errno == EINPROGRESS));
    return fd;
}

/// Sends each open client its next byte; a failed send means the server closed it.
void drip(std::vector<slow_client>& clients) {
    for (auto& c : clients) {
        if (c.fd < 0 || c.sent >= c.script->size()) continue;
        if (::send(c.fd, c.script->data() + c.sent, 1, MSG_NOSIGNAL) == 1) ++c.sent;
    }
}

/// True when the server has closed the connection (EOF or reset).
bool closed_by_server(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) != 1) return false;
    char byte;
    const auto n = ::recv(fd, &byte, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/// Connect, join and pair two fresh clients; returns how long it took.
duration fresh_pairing(const daemon_process& daemon) {
    const auto start = steady::now();
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    const auto took = std::chrono::duration_cast<duration>(steady::now() - start);
    a.close(1000);
    b.close(1000);
    return took;
}

}  // namespace

TEST_CASE("a slowloris of 2,000 connections does not delay a fresh client's pairing",
          "[slowloris_test][e2e]") {
    ONYMOUS_REQUIRE_TIMING_BUILD();
    constexpr int slow_count = 2000;
    // The production per-address defaults stay on: the slow clients come
    // from 64 addresses, 32 each (past 32 an address is closed at accept),
    // the fresh ones from 127.0.0.1.
    daemon_process daemon({{"limits.handshake_timeout", "6s"},
                           {"limits.max_connections_per_address", 32},
                           {"limits.new_connections_per_address_per_minute", 120}});
    duration baseline{0};
    for (int i = 0; i < 3; ++i) baseline = std::max(baseline, fresh_pairing(daemon));

    // Half trickle a TLS record header into the TLS listener, half an
    // HTTP request into the plain one.
    const std::string tls_script("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    const std::string http_script = upgrade_request("/ws");
    std::vector<slow_client> slow;
    for (int i = 0; i < slow_count; ++i) {
        const bool tls = i % 2 == 0;
        const std::string source = "127.0.0." + std::to_string(3 + i % 64);
        slow.push_back({connect_from(source, tls ? daemon.tls_port() : daemon.plain_port()),
                        tls ? &tls_script : &http_script, 0});
    }
    const auto opened = steady::now();
    // Every one is accepted and in its handshake.
    auto deadline = steady::now() + 3s;
    while (metric(daemon, "onymous_connections").value_or(0) < slow_count &&
           steady::now() < deadline)
        std::this_thread::sleep_for(50ms);  // a poll step: /metrics has no push interface
    REQUIRE(metric(daemon, "onymous_connections").value_or(0) >= slow_count);

    // Fresh pairings while the slow ones drip a byte a second.
    duration worst{0};
    for (int round = 0; round < 4; ++round) {
        const auto dripped = steady::now();
        drip(slow);
        worst = std::max(worst, fresh_pairing(daemon));
        std::this_thread::sleep_until(dripped + 1s);
    }
    INFO("fresh pairing: " << baseline.count() << " ms alone, at worst " << worst.count()
                           << " ms beside " << slow_count << " slow connections");
    CHECK(worst <= baseline + 1s);

    // The deadline does not move for a trickle: all are closed by 6 s
    // after they were opened (plus scheduling slack).
    std::size_t closed = 0;
    deadline = opened + 8s;
    while (closed < slow.size() && steady::now() < deadline) {
        for (auto& c : slow) {
            if (c.fd >= 0 && closed_by_server(c.fd)) {
                ::close(c.fd);
                c.fd = -1;
                ++closed;
            }
        }
        std::this_thread::sleep_for(100ms);
    }
    const auto took = std::chrono::duration_cast<duration>(steady::now() - opened);
    for (auto& c : slow)
        if (c.fd >= 0) ::close(c.fd);
    INFO(closed << " of " << slow.size() << " closed by the server after " << took.count()
                << " ms");
    CHECK(closed == slow.size());
    CHECK(took >= 5s);
    require_metric(daemon, "onymous_connections", 0);
    finish_clean(daemon);
}
