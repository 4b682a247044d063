// Every cell of the state table of PROTOCOL.md (States): join, next, leave,
// offer/answer/candidate, ping and resume in idle, waiting and paired.

#include "helpers.hpp"

using namespace onymous::test;

namespace {

const json relay_messages[] = {
    {{"type", "offer"}, {"sdp", "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"}},
    {{"type", "answer"}, {"sdp", "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"}},
    {{"type", "candidate"},
     {"candidate",
      {{"candidate", "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host"},
       {"sdpMid", "0"},
       {"sdpMLineIndex", 0},
       {"usernameFragment", "Xk2p"}}}},
};

/// Each relay message gets bad_state (the session never had a pairing).
void expect_relay_refused(ws_client& client) {
    for (const auto& message : relay_messages) {
        client.send_json(message);
        expect_error(client, "bad_state", message["type"].get<std::string>());
    }
}

/// Each relay message is dropped silently: the ping sent after them is
/// answered first, with nothing before it.
void expect_relay_dropped(ws_client& client) {
    for (const auto& message : relay_messages) client.send_json(message);
    ping_pong(client);
}

}  // namespace

TEST_CASE("idle: join, next, leave, relay messages, ping, resume", "[state_table_test][e2e]") {
    daemon_process daemon;
    auto client = open_client(daemon);
    // resume is only allowed as the first message.
    ping_pong(client);
    client.send_json({{"type", "resume"}, {"token", "AAAAAAAAAAAAAAAAAAAAAA"}, {"last_seq", 0}});
    expect_error(client, "bad_state", "resume");
    // next with no previous join.
    client.send_json({{"type", "next"}});
    expect_error(client, "bad_state", "next");
    // leave in idle answers left and stays idle.
    client.send_json({{"type", "leave"}});
    expect_message(client, {{"type", "left"}});
    client.send_json({{"type", "leave"}});
    expect_message(client, {{"type", "left"}});
    // relay messages when there never was a pairing.
    expect_relay_refused(client);
    client.send_json({{"type", "next"}});
    expect_error(client, "bad_state", "next");
    // join → waiting.
    join(client, "text");
    REQUIRE(client.last_seq() == 3);
    finish(daemon);
}

TEST_CASE("idle: next re-queues with the last join's preferences", "[state_table_test][e2e]") {
    daemon_process daemon;
    auto a = open_client(daemon);
    join(a, "text", {"zebra"});
    a.send_json({{"type", "leave"}});
    expect_message(a, {{"type", "left"}});
    a.send_json({{"type", "next"}});
    expect_message(a, {{"type", "waiting"}});
    // Same mode (text, not the default video) and the same interests.
    auto b = open_client(daemon);
    join(b, "text", {"zebra"});
    const auto pairing = expect_pairing(a, b);
    REQUIRE(pairing.a_matched["interests"] == json::array({"zebra"}));
    finish(daemon);
}

TEST_CASE("waiting: join, next, leave, relay messages, ping", "[state_table_test][e2e]") {
    daemon_process daemon;
    auto a = open_client(daemon);
    join(a, "text", {"owls"});
    a.send_json(join_message("text", {"owls"}));
    expect_error(a, "bad_state", "join");
    expect_relay_refused(a);  // waiting, never paired
    ping_pong(a);
    // next restarts the wait.
    a.send_json({{"type", "next"}});
    expect_message(a, {{"type", "waiting"}});
    // Still queued with its preferences after all that.
    auto b = open_client(daemon);
    join(b, "text", {"owls"});
    expect_pairing(a, b);

    // leave while waiting → idle, left: no longer queued.
    auto c = open_client(daemon);
    join(c, "video");
    c.send_json({{"type", "leave"}});
    expect_message(c, {{"type", "left"}});
    auto d = open_client(daemon);
    join(d, "video");
    REQUIRE(d.expect_silence(500ms));
    REQUIRE(c.pending() == 0);
    // ... until it asks again.
    c.send_json({{"type", "next"}});
    expect_message(c, {{"type", "waiting"}});
    expect_pairing(c, d);
    finish(daemon);
}

TEST_CASE("paired: join, next, leave, relay, ping", "[state_table_test][e2e]") {
    daemon_process daemon;
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    a.send_json(join_message("text"));
    expect_error(a, "bad_state", "join");
    ping_pong(a);
    // The pairing survives both.
    for (const auto& message : relay_messages) {
        a.send_json(message);
        expect_message(b, message);
    }

    // next: the partner gets partner_left (and is idle), the sender waits.
    b.send_json({{"type", "next"}});
    expect_message(b, {{"type", "waiting"}});
    expect_message(a, {{"type", "partner_left"}});
    // A session that got partner_left is never re-queued by itself: a new
    // text waiter meets b, not a.
    auto c = open_client(daemon);
    join(c, "text");
    expect_pairing(b, c);
    REQUIRE(a.expect_silence(300ms));

    // leave: the partner gets partner_left, the sender gets left.
    c.send_json({{"type", "leave"}});
    expect_message(c, {{"type", "left"}});
    expect_message(b, {{"type", "partner_left"}});
    REQUIRE(c.expect_silence(200ms));
    finish(daemon);
}

TEST_CASE("relay messages racing a pairing's end are dropped silently", "[state_table_test][e2e]") {
    daemon_process daemon;
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    // b leaves: a is idle after a pairing, b is idle after a pairing.
    b.send_json({{"type", "leave"}});
    expect_message(b, {{"type", "left"}});
    expect_message(a, {{"type", "partner_left"}});
    expect_relay_dropped(a);
    expect_relay_dropped(b);

    // Waiting after next from a pairing: also dropped silently.
    auto c = open_client(daemon);
    auto d = open_client(daemon);
    pair(c, d, "video");
    c.send_json({{"type", "next"}});
    expect_message(c, {{"type", "waiting"}});
    expect_message(d, {{"type", "partner_left"}});
    expect_relay_dropped(c);
    expect_relay_dropped(d);
    finish(daemon);
}

TEST_CASE("relay messages more than 10 s after a pairing's end are refused",
          "[state_table_test][e2e]") {
    ONYMOUS_REQUIRE_TIMING_BUILD();
    daemon_process daemon;
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    b.send_json({{"type", "leave"}});
    expect_message(b, {{"type", "left"}});
    expect_message(a, {{"type", "partner_left"}});
    // The pairing ended before partner_left was read: 10.5 s after this
    // point is more than 10 s after the end, whatever the scheduling.
    const auto ended_by = std::chrono::steady_clock::now();
    expect_relay_dropped(a);
    // Keep a connected (it reads pings) while the window passes.
    REQUIRE(a.expect_silence(std::chrono::duration_cast<duration>(
        ended_by + 10500ms - std::chrono::steady_clock::now())));
    expect_relay_refused(a);
    expect_relay_refused(b);
    finish(daemon);
}
