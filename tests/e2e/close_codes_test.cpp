// The close codes of issue 2 (PROTOCOL.md: Close codes): 1003 binary, 1007
// invalid UTF-8, 1009 oversize, 1001 idle and shutdown, and what the partner
// sees when a connection ends with or without a close frame.

#include "helpers.hpp"

#include <string>

using namespace onymous::test;

namespace {

/// A ping message padded with an ignored field to exactly `size` bytes.
std::string padded_ping(std::size_t size) {
    const std::string head = R"({"type":"ping","pad":")";
    const std::string tail = R"("})";
    return head + std::string(size - head.size() - tail.size(), 'p') + tail;
}

}  // namespace

TEST_CASE("a binary frame closes with 1003 and the partner gets partner_left",
          "[close_codes_test][e2e]") {
    daemon_process daemon;
    for (const bool tls : {true, false}) {
        connect_options options;
        options.tls = tls;
        auto a = open_client(daemon, options);
        auto b = open_client(daemon);
        pair(a, b);
        a.send_binary(R"({"type":"ping"})");
        expect_closed(a, 1003);
        expect_message(b, {{"type", "partner_left"}});
        ping_pong(b);
    }
    finish(daemon);
}

TEST_CASE("a text frame that is not UTF-8 closes with 1007", "[close_codes_test][e2e]") {
    daemon_process daemon;
    for (const bool tls : {true, false}) {
        connect_options options;
        options.tls = tls;
        auto a = open_client(daemon, options);
        auto b = open_client(daemon);
        pair(a, b);
        a.send_text("{\"type\":\"offer\",\"sdp\":\"v=0\xC3\x28\"}");
        expect_closed(a, 1007);
        expect_message(b, {{"type", "partner_left"}});
    }
    finish(daemon);
}

TEST_CASE("a message over max_message_bytes closes with 1009, reassembled or not",
          "[close_codes_test][e2e]") {
    daemon_process daemon({{"limits.max_message_bytes", 4096}});
    auto client = open_client(daemon);
    // Exactly the limit passes, whole or in fragments.
    client.send_text(padded_ping(4096));
    expect_message(client, {{"type", "pong"}});
    const auto fragmented = padded_ping(3000);
    client.send_fragmented(
        {fragmented.substr(0, 1000), fragmented.substr(1000, 1000), fragmented.substr(2000)});
    expect_message(client, {{"type", "pong"}});
    // One byte over, in one frame.
    client.send_text(padded_ping(4097));
    expect_closed(client, 1009);

    // Over the limit only once reassembled: each frame is small.
    auto other = open_client(daemon);
    const auto large = padded_ping(6000);
    other.send_fragmented({large.substr(0, 2000), large.substr(2000, 2000), large.substr(4000)});
    expect_closed(other, 1009);
    finish(daemon);
}

TEST_CASE("a close frame from one side sends partner_left to the other at once",
          "[close_codes_test][e2e]") {
    // A long resume grace: only a close frame may end the session at once.
    daemon_process daemon({{"limits.resume_grace", "30s"}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    const auto state = a.close(1000);
    INFO("close: frame " << state.close_frame << " code " << state.code << " error "
                         << state.error);
    REQUIRE(state.closed);
    REQUIRE(state.close_frame);  // the server answered the close handshake
    expect_message(b, {{"type", "partner_left"}}, 3s);
    // b is idle and works.
    ping_pong(b);
    finish(daemon);
}

TEST_CASE("an abrupt TCP drop sends partner_left to the partner", "[close_codes_test][e2e]") {
    // Until resume lands a drop ends the session at once; with a short grace
    // configured, this test stays true after it lands too.
    daemon_process daemon({{"limits.resume_grace", "1s"}});
    for (const bool tls : {true, false}) {
        connect_options options;
        options.tls = tls;
        auto a = open_client(daemon, options);
        auto b = open_client(daemon);
        pair(a, b);
        a.drop();
        expect_message(b, {{"type", "partner_left"}}, 10s);
        ping_pong(b);
    }
    finish(daemon);
}

TEST_CASE("a client that stops answering pings is closed with 1001 after idle_timeout",
          "[close_codes_test][e2e]") {
    ONYMOUS_REQUIRE_TIMING_BUILD();
    daemon_process daemon({{"limits.ping_interval", "100ms"},
                           {"limits.idle_timeout", "400ms"},
                           {"limits.resume_grace", "1s"}});
    auto idle = open_client(daemon);
    auto partner = open_client(daemon);
    pair(idle, partner);
    auto alive = open_client(daemon);
    join(alive, "video");

    idle.stop_reading();
    // Clients that read answer the server's pings (Beast does it inside every
    // read): well past idle_timeout they are still connected.
    const auto until = std::chrono::steady_clock::now() + 1200ms;
    while (std::chrono::steady_clock::now() < until) {
        REQUIRE(alive.expect_silence(50ms));
        partner.pending();
    }
    REQUIRE_FALSE(alive.state().closed);
    REQUIRE_FALSE(partner.state().closed);
    // The silent one was closed meanwhile; its close frame waits in the
    // socket behind the unanswered pings.
    expect_closed(idle, 1001);
    // The idle close is a drop: the partner hears partner_left when the
    // resume grace (1 s) ends. `alive` keeps answering pings meanwhile.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (partner.pending() == 0 && std::chrono::steady_clock::now() < deadline)
        REQUIRE(alive.expect_silence(50ms));
    expect_message(partner, {{"type", "partner_left"}});
    ping_pong(alive);
    finish(daemon);
}

TEST_CASE("SIGTERM closes connected clients with 1001 and exits 0", "[close_codes_test][e2e]") {
    daemon_process daemon;
    auto idle = open_client(daemon);
    auto waiting = open_client(daemon);
    join(waiting);
    const auto status = daemon.stop();
    INFO("onymousd " << status.describe() << "; stderr:\n" << daemon.log());
    REQUIRE(status.exited_with(0));
    for (auto* client : {&idle, &waiting}) {
        // A draining notice may come first (a later issue's feature).
        expect_closed(*client, 1001);
        for (const auto& message : client->history())
            REQUIRE((message["type"] == "hello" || message["type"] == "waiting" ||
                     message["type"] == "draining"));
    }
}
