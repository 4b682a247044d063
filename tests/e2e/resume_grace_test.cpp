// Where resume ends (PROTOCOL.md: Resume, Error codes): the grace running out
// (the partner gets partner_left), the messages to replay no longer all held,
// used and unknown tokens (resume_failed, one message text for every reason,
// and the connection goes on as a fresh idle session with its own hello's
// token), a resume that is not the first message (bad_state), a close
// frame, which ends a session at once, and an idle timeout, which does not.

#include "lifecycle.hpp"

#include <string>

using namespace onymous::test;

namespace {

const std::string made_up_token = "AAAAAAAAAAAAAAAAAAAAAA";

/// The resume_failed text a token nobody was ever given gets.
std::string unknown_token_text(const daemon_process& daemon) {
    auto client = open_resuming(daemon, made_up_token, 0);
    auto text = expect_resume_failed(client);
    client.close(1000);  // with a frame: no session left in its grace
    return text;
}

}  // namespace

TEST_CASE("after the grace the partner gets partner_left and the token no longer resumes",
          "[resume_grace_test][e2e]") {
    daemon_process daemon({quick_close, {"limits.resume_grace", "500ms"}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    const auto token = hello_token(a);
    a.drop();
    // Not before the grace (which starts no earlier than the drop)...
    REQUIRE(b.expect_silence(250ms));
    // ...but once it has passed, with b's next seq.
    expect_message(b, {{"type", "partner_left"}}, allowance(1500ms));
    REQUIRE(b.last_seq() == 3);
    ping_pong(b);
    require_metric(daemon, "onymous_sessions_in_grace", 0);

    auto late = open_resuming(daemon, token, 2);
    const auto text = expect_resume_failed(late);
    REQUIRE(text == unknown_token_text(daemon));
    // The connection goes on as a fresh idle session.
    ping_pong(late);
    late.send_json(join_message("text"));
    expect_message(late, {{"type", "waiting"}});
    REQUIRE(late.last_seq() == 1);
    // b is idle and never re-queued by itself: late waits alone.
    REQUIRE(late.expect_silence(300ms));
    finish_clean(daemon);
}

TEST_CASE("a waiting session whose grace ends leaves the queue", "[resume_grace_test][e2e]") {
    daemon_process daemon(
        {quick_close, {"limits.resume_grace", "300ms"}, {"matching.rematch_cooldown", "0s"}});
    auto w1 = open_client(daemon);
    join(w1);
    const auto token = hello_token(w1);
    w1.drop();
    require_metric(daemon, "onymous_sessions", 0, allowance(3s));
    auto w2 = open_client(daemon);
    join(w2);
    REQUIRE(w2.expect_silence(500ms));
    auto late = open_resuming(daemon, token, 1);
    expect_resume_failed(late);
    ping_pong(late);
    REQUIRE(w2.pending() == 0);
    finish_clean(daemon);
}

TEST_CASE("messages past max_outbound_bytes during the grace: resume_failed, partner_left",
          "[resume_grace_test][e2e]") {
    daemon_process daemon({quick_close,
                           {"limits.resume_grace", "3s"},
                           {"limits.max_outbound_bytes", 65536},
                           {"limits.pair_max_offers", 100000}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    const auto token = hello_token(a);
    a.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    // About 135 KB for a session whose connection is gone.
    const auto sdp = padded_sdp("ov", 2100);
    for (int i = 0; i < 64; ++i) b.send_json(offer_message(sdp));
    // The offers are on their way: the session ends once they pass the bound
    // (the partner may hear partner_left at once), so that a resume sent
    // after that cannot win the race against them (a slow sanitizer daemon).
    require_metric(daemon, "onymous_sessions_in_grace", 0, allowance(5s));
    auto back = open_resuming(daemon, token, 2);
    const auto text = expect_resume_failed(back);
    REQUIRE(text == unknown_token_text(daemon));
    // b learns its partner is gone (at the latest when the grace ends); the
    // offers that raced the end were dropped silently, not refused.
    expect_message(b, {{"type", "partner_left"}}, allowance(5s));
    ping_pong(b);
    ping_pong(back);
    finish_clean(daemon);
}

TEST_CASE("used and made-up tokens get the same resume_failed; the connection goes on",
          "[resume_grace_test][e2e]") {
    daemon_process daemon({quick_close, {"limits.resume_grace", "30s"}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b);
    const auto role = pairing.a_matched["role"].get<std::string>();
    const auto token = hello_token(a);
    a.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    auto a2 = open_resuming(daemon, token, 2);
    expect_resumed(a2, "paired", role, token);

    // The token was used: it resumes nothing and takes nothing over.
    auto reused = open_resuming(daemon, token, 2);
    const auto used_text = expect_resume_failed(reused);
    REQUIRE(a2.expect_silence(300ms));
    REQUIRE(b.expect_silence(100ms));
    auto made_up = open_resuming(daemon, made_up_token, 0);
    REQUIRE(expect_resume_failed(made_up) == used_text);
    auto garbage = open_resuming(daemon, "x", 7);
    REQUIRE(expect_resume_failed(garbage) == used_text);
    ping_pong(garbage);

    // Both go on as fresh idle sessions: they can be paired with each other.
    const auto fresh = pair(reused, made_up);
    reused.send_json(offer_message(text_sdp("71")));
    expect_message(made_up, offer_message(text_sdp("71")));
    // The resumed pairing is untouched.
    b.send_json(offer_message(text_sdp("72")));
    expect_at(a2, offer_message(text_sdp("72")), 3);

    // A fresh session after resume_failed has the token of its own hello.
    const auto own = hello_token(made_up);
    const auto made_up_role = fresh.b_matched["role"].get<std::string>();
    made_up.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    auto again = open_resuming(daemon, own, 3);
    expect_resumed(again, "paired", made_up_role, own);
    reused.send_json(answer_message(text_sdp("73")));
    expect_at(again, answer_message(text_sdp("73")), 4);
    finish_clean(daemon);
}

TEST_CASE("resume that is not the first message is bad_state and leaves the session be",
          "[resume_grace_test][e2e]") {
    daemon_process daemon({quick_close, {"limits.resume_grace", "30s"}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b);
    const auto token = hello_token(a);
    a.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);

    auto after_ping = open_client(daemon);
    ping_pong(after_ping);
    after_ping.send_json(resume_message(token, 2));
    expect_error(after_ping, "bad_state", "resume");
    auto after_join = open_client(daemon);
    join(after_join);
    after_join.send_json(resume_message(token, 2));
    expect_error(after_join, "bad_state", "resume");

    // A resume with a field missing or of the wrong type is invalid_message.
    for (const json& bad :
         {json{{"type", "resume"}, {"token", token}}, json{{"type", "resume"}, {"last_seq", 2}},
          json{{"type", "resume"}, {"token", 5}, {"last_seq", 2}},
          json{{"type", "resume"}, {"token", token}, {"last_seq", "2"}}}) {
        INFO("sent " << bad.dump());
        auto client = open_client(daemon);
        client.send_json(bad);
        expect_error(client, "invalid_message", "resume");
        ping_pong(client);
        client.close(1000);  // with a frame: no session left in its grace
    }
    REQUIRE(b.expect_silence(300ms));
    require_metric(daemon, "onymous_sessions_in_grace", 1);

    // None of them took the session: the token still resumes it.
    auto back = open_resuming(daemon, token, 2);
    expect_resumed(back, "paired", pairing.a_matched["role"].get<std::string>(), token);
    finish_clean(daemon);
}

TEST_CASE("a close frame ends the session at once; its token no longer resumes",
          "[resume_grace_test][e2e]") {
    daemon_process daemon(
        {quick_close, {"limits.resume_grace", "30s"}, {"matching.rematch_cooldown", "0s"}});
    for (const int code : {1000, 1001}) {
        INFO("the client closes with " << code);
        auto a = open_client(daemon);
        auto b = open_client(daemon);
        pair(a, b);
        const auto token = hello_token(a);
        const auto state = a.close(code);
        REQUIRE(state.close_frame);
        expect_message(b, {{"type", "partner_left"}}, allowance(2s));
        auto late = open_resuming(daemon, token, 2);
        expect_resume_failed(late);
        ping_pong(b);
        b.close(1000);
        late.close(1000);
    }
    // A waiting session closed with a frame is not matched afterwards.
    auto w1 = open_client(daemon);
    join(w1);
    w1.close(1000);
    auto w2 = open_client(daemon);
    join(w2);
    REQUIRE(w2.expect_silence(500ms));
    require_metric(daemon, "onymous_sessions", 1);
    require_metric(daemon, "onymous_sessions_in_grace", 0);
    finish_clean(daemon);
}

TEST_CASE("a connection closed for idleness leaves its session resumable",
          "[resume_grace_test][e2e]") {
    ONYMOUS_REQUIRE_TIMING_BUILD();
    daemon_process daemon({quick_close,
                           {"limits.resume_grace", "30s"},
                           {"limits.ping_interval", "100ms"},
                           {"limits.idle_timeout", "400ms"}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b);
    const auto token = hello_token(a);
    a.stop_reading();
    require_metric(daemon, "onymous_sessions_in_grace", 1, 3s, {&b});
    b.send_json(offer_message(text_sdp("61")));
    REQUIRE(b.expect_silence(500ms));  // b answers pings; no partner_left
    auto back = open_resuming(daemon, token, 2);
    expect_resumed(back, "paired", pairing.a_matched["role"].get<std::string>(), token);
    expect_at(back, offer_message(text_sdp("61")), 3);
    // The old connection was closed with 1001 and, its close never answered,
    // aborted at close_timeout: the frame may not be readable any more.
    const auto end = a.expect_close(2s);
    REQUIRE(end.closed);
    if (end.close_frame) REQUIRE(end.code == 1001);
    finish_clean(daemon);
}

TEST_CASE("two resumes racing with one token: exactly one wins", "[resume_grace_test][e2e]") {
    daemon_process daemon({quick_close, {"limits.resume_grace", "30s"}});
    for (int round = 0; round < 10; ++round) {
        INFO("round " << round);
        auto a = open_client(daemon);
        auto b = open_client(daemon);
        const auto pairing = pair(a, b);
        const auto token = hello_token(a);
        if (round % 2 == 0) {
            a.drop();
            require_metric(daemon, "onymous_sessions_in_grace", 1);
        }  // else: both race to take over a connection that looks open
        auto first = open_client(daemon);
        auto second = open_client(daemon);
        first.send_json(resume_message(token, 2));
        second.send_json(resume_message(token, 2));
        const auto one = next_message(first);
        const auto other = next_message(second);
        INFO("first got " << one.dump() << "\nsecond got " << other.dump());
        const bool first_won = one.value("type", "") == "resumed";
        ws_client& winner = first_won ? first : second;
        ws_client& loser = first_won ? second : first;
        const json& lost = first_won ? other : one;
        REQUIRE(lost == json{{"type", "error"},
                             {"code", "resume_failed"},
                             {"message", lost.value("message", "")},
                             {"ref", "resume"}});
        const json& won = first_won ? one : other;
        REQUIRE(won.value("type", "") == "resumed");
        REQUIRE(won.value("role", "") == pairing.a_matched["role"]);
        // The winner holds the pairing; the loser is a fresh idle session.
        b.send_json(offer_message(text_sdp("9" + std::to_string(round))));
        expect_at(winner, offer_message(text_sdp("9" + std::to_string(round))), 3);
        REQUIRE(b.expect_silence(100ms));
        REQUIRE(loser.expect_silence(100ms));
        ping_pong(loser);
        if (round % 2 == 1) expect_closed(a, 4000);
        for (auto* client : {&winner, &loser, &b}) client->close(1000);
    }
    require_metric(daemon, "onymous_sessions", 0);
    finish_clean(daemon);
}
