// A client that stops reading (PROTOCOL.md: Relay guarantees, Close codes):
// once its outbound queue passes limits.max_outbound_bytes it is closed
// (1008, if the close frame can get through at all), its partner gets
// partner_left, and its descriptor is released within limits.close_timeout:
// a close the peer never answers is aborted at that deadline.

#include "lifecycle.hpp"

#include <string>
#include <thread>

using namespace onymous::test;
using steady = std::chrono::steady_clock;

namespace {

/// Polls /proc/PID/fd until it holds at most `limit` entries.
void require_descriptors_at_most(pid_t pid, std::size_t limit, duration timeout) {
    const auto deadline = steady::now() + timeout;
    std::size_t count = open_descriptors(pid);
    while (count > limit && steady::now() < deadline) {
        std::this_thread::sleep_for(20ms);  // a poll step: /proc has no push interface
        count = open_descriptors(pid);
    }
    INFO("open descriptors: " << count << ", expected at most " << limit);
    REQUIRE(count <= limit);
}

}  // namespace

TEST_CASE("a client that stops reading is closed at max_outbound_bytes and its descriptor released",
          "[backpressure_test][e2e]") {
    daemon_process daemon({{"limits.max_outbound_bytes", 65536},
                           {"limits.close_timeout", "1s"},
                           {"limits.pair_max_offers", 1000000},
                           {"limits.ping_interval", "30s"},
                           {"limits.idle_timeout", "60s"},
                           {"limits.resume_grace", "30s"}});
    for (const bool tls : {true, false}) {
        INFO("the non-reader is on the " << (tls ? "TLS" : "plain") << " listener");
        connect_options options;
        options.tls = tls;
        auto deaf = open_client(daemon, options);
        auto sender = open_client(daemon);
        pair(deaf, sender);
        require_metric(daemon, "onymous_connections", 2);
        const auto descriptors = open_descriptors(daemon.pid());
        deaf.stop_reading();

        // 2 KB offers until partner_left (bounded: 40 MB, far beyond what the
        // sockets' buffers and the 64 KB bound can hold).
        const auto sdp = padded_sdp("bp", 2048);
        const auto deadline = steady::now() + allowance(30s);
        int sent = 0;
        bool partner_left = false;
        while (!partner_left && sent < 20000 && steady::now() < deadline) {
            sender.send_json(offer_message(sdp));
            ++sent;
            if (sender.pending() > 0) {
                expect_message(sender, {{"type", "partner_left"}});
                partner_left = true;
            }
        }
        INFO(sent << " offers sent");
        REQUIRE(partner_left);
        REQUIRE(sent > 32);  // 64 KB is 32 offers: not closed before the bound
        // The queue filled up to the bound and never past it.
        const auto peak = metric(daemon, "onymous_outbound_queue_peak_bytes");
        REQUIRE(peak.has_value());
        CHECK(*peak <= 65536);
        CHECK(*peak > 65536 - 2 * 2200);  // within one offer of the bound
        // The offers that raced the end were dropped silently, not refused.
        ping_pong(sender);

        // The descriptor goes within close_timeout (1 s), though the client
        // never reads its close frame.
        require_metric(daemon, "onymous_connections", 1, allowance(2500ms));
        require_metric(daemon, "onymous_outbound_queued_bytes", 0);
        require_descriptors_at_most(daemon.pid(), descriptors - 1, allowance(2500ms));
        require_metric(daemon, "onymous_sessions", 1);

        // What the non-reader got: a gap-free prefix of the offers, in order.
        const auto end = deaf.expect_close(allowance(20s));
        REQUIRE(end.closed);
        if (end.close_frame) REQUIRE(end.code == 1008);
        const auto& history = deaf.history();
        REQUIRE(history.size() > 3);
        for (std::size_t at = 3; at < history.size(); ++at) {
            if (history[at] != json{{"type", "offer"}, {"sdp", sdp}, {"seq", at}})
                FAIL("message " << at
                                << " of the non-reader: " << history[at].dump().substr(0, 200));
        }
        REQUIRE(history.size() - 3 < static_cast<std::size_t>(sent));

        // The sender goes on as an idle session.
        join(sender);
        sender.close(1000);
        require_metric(daemon, "onymous_connections", 0);
    }
    require_metric(daemon, "onymous_sessions", 0);
    finish_clean(daemon);
}

TEST_CASE("a close the client never answers is aborted at close_timeout",
          "[backpressure_test][e2e]") {
    ONYMOUS_REQUIRE_TIMING_BUILD();
    daemon_process daemon({{"limits.ping_interval", "100ms"},
                           {"limits.idle_timeout", "400ms"},
                           {"limits.close_timeout", "1s"},
                           {"limits.resume_grace", "30s"}});
    auto mute = open_client(daemon);
    auto other = open_client(daemon);
    require_metric(daemon, "onymous_connections", 2);
    const auto descriptors = open_descriptors(daemon.pid());
    mute.stop_reading();
    const auto start = steady::now();
    // Idle past 400 ms: closed with 1001, a close frame it never answers;
    // aborted 1 s later.
    require_metric(daemon, "onymous_connections", 1, 3s, {&other});
    const auto took = std::chrono::duration_cast<duration>(steady::now() - start);
    INFO("descriptor released " << took.count() << " ms after the client went silent");
    REQUIRE(took <= 2500ms);
    require_descriptors_at_most(daemon.pid(), descriptors - 1, 1s);
    // The other client answered its pings all along.
    ping_pong(other);
    REQUIRE_FALSE(other.state().closed);
    const auto end = mute.expect_close(2s);
    REQUIRE(end.closed);
    if (end.close_frame) REQUIRE(end.code == 1001);
    finish_clean(daemon);
}
