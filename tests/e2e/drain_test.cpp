// Draining (PROTOCOL.md: Draining, States): on SIGTERM /readyz fails, new
// connections are refused, every session gets {"type":"draining","seq":N},
// idle and waiting sessions are closed with 1001 at once, paired ones when
// their pairing ends or shutdown.drain_timeout passes; join and next get
// `draining` (before bad_state), leave works; the process exits 0, at once on
// a second SIGTERM.

#include "lifecycle.hpp"

#include <signal.h>

#include <memory>
#include <string>
#include <thread>

using namespace onymous::test;
using steady = std::chrono::steady_clock;

namespace {

connect_options plain() {
    connect_options options;
    options.tls = false;
    return options;
}

std::string milliseconds(duration value) { return std::to_string(value.count()) + "ms"; }

/// Polls /readyz until it answers 503; fails the test when it does not
/// within `timeout`.
void expect_not_ready(const daemon_process& daemon, duration timeout) {
    const auto deadline = steady::now() + timeout;
    int status = 0;
    while ((status = admin_status(daemon, "/readyz")) != 503 && steady::now() < deadline)
        std::this_thread::sleep_for(10ms);  // a poll step: readiness has no push interface
    INFO("/readyz answered " << status);
    REQUIRE(status == 503);
}

/// A WebSocket upgrade on `port` fails (refused, reset or never answered).
void expect_refused(std::uint16_t port, bool tls) {
    ws_client client;
    connect_options options;
    options.tls = tls;
    options.timeout = 500ms;
    const bool connected = client.connect(port, options);
    INFO((tls ? "TLS" : "plain") << " connection during the drain: "
                                 << (connected ? "upgraded" : client.error()));
    REQUIRE_FALSE(connected);
}

/// Requires the daemon to exit by itself, with code 0, within `timeout`.
void expect_exit(daemon_process& daemon, duration timeout) {
    const auto status = daemon.wait_exit(timeout);
    INFO("stderr:\n" << daemon.log());
    REQUIRE(status.has_value());
    INFO("onymousd " << status->describe());
    REQUIRE(status->exited_with(0));
}

}  // namespace

TEST_CASE("SIGTERM drains idle, waiting, paired and half-open connections, then exits 0",
          "[drain_test][e2e]") {
    const duration drain = timing_tests_enabled() ? 5s : 20s;
    daemon_process daemon({{"shutdown.drain_timeout", milliseconds(drain)},
                           {"limits.handshake_timeout", "60s"},
                           {"limits.close_timeout", "1s"},
                           {"limits.resume_grace", "30s"}});
    auto idle = open_client(daemon);
    auto waiting = open_client(daemon, plain());
    join(waiting, "video");
    // Pairs: one that leaves, one that closes, one that tries join and next,
    // and one that just waits for the drain timeout.
    auto leaver = open_client(daemon);
    auto left_behind = open_client(daemon);
    pair(leaver, left_behind);
    auto closer = open_client(daemon);
    auto closed_on = open_client(daemon);
    pair(closer, closed_on);
    auto joiner = open_client(daemon);
    auto joiner_partner = open_client(daemon, plain());
    pair(joiner, joiner_partner);
    auto stayer = open_client(daemon);
    auto mute = open_client(daemon);
    pair(stayer, mute);
    // Connections mid-handshake: TCP only on each listener, TLS without upgrade.
    silent_connection half_plain(daemon.plain_port(), false);
    silent_connection half_tls(daemon.tls_port(), false);
    silent_connection tls_no_upgrade(daemon.tls_port(), true);
    REQUIRE(admin_status(daemon, "/readyz") == 200);

    REQUIRE(::kill(daemon.pid(), SIGTERM) == 0);
    const auto start = steady::now();
    expect_not_ready(daemon, allowance(1s));

    // Idle and waiting: draining, then 1001 at once.
    expect_message(idle, {{"type", "draining"}}, allowance(2s));
    REQUIRE(idle.last_seq() == 1);
    expect_closed(idle, 1001, allowance(2s));
    expect_message(waiting, {{"type", "draining"}}, allowance(2s));
    REQUIRE(waiting.last_seq() == 2);
    expect_closed(waiting, 1001, allowance(2s));
    // Every paired session: draining with its next seq, and it stays open.
    for (auto* client :
         {&leaver, &left_behind, &closer, &closed_on, &joiner, &joiner_partner, &stayer, &mute})
        expect_message(*client, {{"type", "draining"}}, allowance(2s));
    REQUIRE(stayer.last_seq() == 3);
    mute.stop_reading();  // it will never answer the closing handshake

    expect_refused(daemon.tls_port(), true);
    expect_refused(daemon.plain_port(), false);

    // join and next get draining, even where the state would say bad_state;
    // the partner learns nothing of it and the pairing goes on.
    joiner.send_json(join_message("text"));
    expect_error(joiner, "draining", "join");
    joiner.send_json({{"type", "next"}});
    expect_error(joiner, "draining", "next");
    joiner_partner.send_json(join_message(""));
    expect_error(joiner_partner, "draining", "join");
    joiner.send_json(offer_message(text_sdp("81")));
    expect_message(joiner_partner, offer_message(text_sdp("81")));
    joiner_partner.send_json(answer_message(text_sdp("82")));
    expect_message(joiner, answer_message(text_sdp("82")));
    ping_pong(joiner);

    // leave works: left, then 1001; the partner gets partner_left, then 1001.
    leaver.send_json({{"type", "leave"}});
    expect_message(leaver, {{"type", "left"}});
    expect_closed(leaver, 1001);
    expect_message(left_behind, {{"type", "partner_left"}});
    expect_closed(left_behind, 1001);
    // A closed connection ends its pairing too.
    REQUIRE(closer.close(1000).close_frame);
    expect_message(closed_on, {{"type", "partner_left"}}, allowance(2s));
    expect_closed(closed_on, 1001);

    // The half-open connections are not kept for the drain.
    REQUIRE(half_plain.wait_closed(allowance(1s)));
    REQUIRE(half_tls.wait_closed(allowance(1s)));
    REQUIRE(tls_no_upgrade.wait_closed(allowance(1s)));
    REQUIRE(admin_status(daemon, "/readyz") == 503);

    // The remaining pairings stay open until drain_timeout...
    const auto until = start + drain - 800ms;
    INFO("steps done " << std::chrono::duration_cast<duration>(steady::now() - start).count()
                       << " ms after SIGTERM");
    REQUIRE(steady::now() < until);
    REQUIRE(stayer.expect_silence(std::chrono::duration_cast<duration>(until - steady::now())));
    for (auto* client : {&joiner, &joiner_partner}) {
        REQUIRE(client->pending() == 0);
        REQUIRE_FALSE(client->state().closed);
    }
    // ...then go with 1001 (a partner_left may come first, as one side of a
    // pairing is closed before the other).
    for (auto* client : {&stayer, &joiner, &joiner_partner}) {
        const auto before = client->history().size();
        const auto seq_before = client->last_seq();
        const auto end = client->expect_close(allowance(3s));
        INFO("history: " << json(client->history()).dump());
        REQUIRE(end.close_frame);
        REQUIRE(end.code == 1001);
        const auto& history = client->history();
        REQUIRE(history.size() <= before + 1);
        if (history.size() == before + 1)
            REQUIRE(history.back() == json{{"type", "partner_left"}, {"seq", seq_before + 1}});
    }
    // Even with a client that never answers the close, the process exits
    // within close_timeout of the drain's end.
    expect_exit(daemon, allowance(2500ms));
    const auto took = std::chrono::duration_cast<duration>(steady::now() - start);
    INFO("exit " << took.count() << " ms after SIGTERM");
    REQUIRE(took >= drain - 800ms);
    const auto end = mute.expect_close(2s);
    REQUIRE(end.closed);
    if (end.close_frame) REQUIRE(end.code == 1001);
    finish(daemon);
}

TEST_CASE("once every session is gone the drain ends without waiting for its timeout",
          "[drain_test][e2e]") {
    daemon_process daemon({quick_close, {"shutdown.drain_timeout", "30s"}});
    auto idle = open_client(daemon);
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    REQUIRE(::kill(daemon.pid(), SIGTERM) == 0);
    expect_message(idle, {{"type", "draining"}}, allowance(2s));
    expect_closed(idle, 1001);
    expect_message(a, {{"type", "draining"}}, allowance(2s));
    expect_message(b, {{"type", "draining"}}, allowance(2s));
    // next while paired: draining, not partner_left for b.
    b.send_json({{"type", "next"}});
    expect_error(b, "draining", "next");
    REQUIRE(a.expect_silence(200ms));
    a.send_json({{"type", "leave"}});
    expect_message(a, {{"type", "left"}});
    expect_closed(a, 1001);
    expect_message(b, {{"type", "partner_left"}});
    expect_closed(b, 1001);
    expect_exit(daemon, allowance(3s));
    finish(daemon);
}

TEST_CASE("a second SIGTERM during the drain exits at once with code 0", "[drain_test][e2e]") {
    daemon_process daemon({quick_close, {"shutdown.drain_timeout", "30s"}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    REQUIRE(::kill(daemon.pid(), SIGTERM) == 0);
    expect_message(a, {{"type", "draining"}}, allowance(2s));
    expect_message(b, {{"type", "draining"}}, allowance(2s));
    REQUIRE(a.expect_silence(300ms));  // draining, and not about to end by itself
    REQUIRE_FALSE(daemon.wait_exit(0ms).has_value());
    REQUIRE(::kill(daemon.pid(), SIGTERM) == 0);
    expect_exit(daemon, allowance(2s));
    finish(daemon);
}
