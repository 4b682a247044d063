// A session outlives its connection (PROTOCOL.md: Resume): a connection lost
// without a close frame leaves the session in its grace; a `resume` as the
// first message of a new connection takes it back, with every message above
// last_seq re-sent in order under its original seq, and the chat goes on.
// A resume while the old connection still looks open takes it over (4000).

#include "lifecycle.hpp"

#include <string>

using namespace onymous::test;

namespace {

/// Long enough that no grace can run out during a test.
const config_override long_grace{"limits.resume_grace", "30s"};

}  // namespace

TEST_CASE("a client dropped mid-negotiation resumes and gets what its partner sent meanwhile",
          "[resume_test][e2e]") {
    daemon_process daemon({quick_close, long_grace});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b);
    ws_client& offerer = pairing.offerer(a, b);
    ws_client& answerer = pairing.answerer(a, b);
    const auto token = hello_token(answerer);
    REQUIRE(is_token(token));

    // Matched (seq 2), offer sent and received (seq 3), no answer yet.
    offerer.send_json(offer_message(text_sdp("11")));
    expect_message(answerer, offer_message(text_sdp("11")));
    REQUIRE(answerer.last_seq() == 3);
    answerer.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    require_metric(daemon, "onymous_sessions", 2);

    // The offerer trickles on; it is told nothing: the pairing survives.
    for (int i = 0; i < 5; ++i) offerer.send_json(candidate_message(candidate_init("m", i)));
    offerer.send_json({{"type", "candidate"}, {"candidate", nullptr}});
    REQUIRE(offerer.expect_silence(300ms));

    // Back on a new connection, over the other listener: resumed (no seq),
    // then exactly the six messages above seq 3, with their seq.
    connect_options plain;
    plain.tls = false;
    auto back = open_resuming(daemon, token, 3, plain);
    const auto token2 = expect_resumed(back, "paired", "answerer", token);
    for (int i = 0; i < 5; ++i) expect_at(back, candidate_message(candidate_init("m", i)), 4 + i);
    expect_at(back, {{"type", "candidate"}, {"candidate", nullptr}}, 9);
    REQUIRE(back.expect_silence(300ms));  // no duplicates, nothing else

    // The chat goes on both ways; the seq of each side keeps counting.
    back.send_json(answer_message(text_sdp("12")));
    expect_message(offerer, answer_message(text_sdp("12")));
    REQUIRE(offerer.last_seq() == 3);
    offerer.send_json(offer_message(text_sdp("13")));
    expect_message(back, offer_message(text_sdp("13")));
    REQUIRE(back.last_seq() == 10);
    require_metric(daemon, "onymous_sessions_in_grace", 0);
    require_metric(daemon, "onymous_sessions", 2);
    require_metric(daemon, "onymous_connections", 2);

    // A second drop resumes with the rotated token; the seq still counts on.
    back.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    offerer.send_json(candidate_message(candidate_init("n", 1)));
    auto again = open_resuming(daemon, token2, 10);
    const auto token3 = expect_resumed(again, "paired", "answerer", token2);
    REQUIRE(token3 != token);
    expect_at(again, candidate_message(candidate_init("n", 1)), 11);
    again.send_json(candidate_message(candidate_init("o", 2)));
    expect_message(offerer, candidate_message(candidate_init("o", 2)));
    REQUIRE(again.expect_silence(200ms));
    REQUIRE(offerer.pending() == 0);
    finish_clean(daemon);
}

TEST_CASE("a resume re-sends exactly the messages above last_seq, lost or not",
          "[resume_test][e2e]") {
    daemon_process daemon({quick_close, long_grace});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    const auto token = hello_token(a);
    // Six candidates for a (seq 3 to 8); it reads three, the rest may be in
    // flight or in its socket when the connection is lost.
    for (int i = 0; i < 6; ++i) b.send_json(candidate_message(candidate_init("r", i)));
    for (int i = 0; i < 3; ++i) expect_message(a, candidate_message(candidate_init("r", i)));
    REQUIRE(a.last_seq() == 5);
    a.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);

    // last_seq 5: 6, 7, 8 and nothing at or below 5.
    auto first = open_resuming(daemon, token, 5);
    const auto token2 =
        expect_resumed(first, "paired", a.history()[2]["role"].get<std::string>(), token);
    for (int i = 3; i < 6; ++i) expect_at(first, candidate_message(candidate_init("r", i)), 3 + i);
    REQUIRE(first.expect_silence(300ms));

    // A last_seq below what the client got (8), above what the first resume
    // acknowledged (5): everything above it again.
    first.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    auto second = open_resuming(daemon, token2, 6);
    expect_resumed(second, "paired", a.history()[2]["role"].get<std::string>(), token2);
    for (int i = 4; i < 6; ++i) expect_at(second, candidate_message(candidate_init("r", i)), 3 + i);
    REQUIRE(second.expect_silence(300ms));
    second.send_json(offer_message(text_sdp("21")));
    expect_message(b, offer_message(text_sdp("21")));
    b.send_json(answer_message(text_sdp("22")));
    expect_at(second, answer_message(text_sdp("22")), 9);
    REQUIRE(b.pending() == 0);
    finish_clean(daemon);
}

TEST_CASE("a resume while the old connection looks open takes it over with 4000",
          "[resume_test][e2e]") {
    daemon_process daemon({quick_close, long_grace});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b);
    const auto role = pairing.a_matched["role"].get<std::string>();
    const auto token = hello_token(a);
    // b sends ten candidates (a's seq 3 to 12); a has read four of them when
    // it "moves networks": its old connection is still up.
    for (int i = 0; i < 10; ++i) b.send_json(candidate_message(candidate_init("t", i)));
    for (int i = 0; i < 4; ++i) expect_message(a, candidate_message(candidate_init("t", i)));
    REQUIRE(a.last_seq() == 6);

    auto c = open_resuming(daemon, token, 6);
    expect_resumed(c, "paired", role, token);
    for (int i = 4; i < 10; ++i) expect_at(c, candidate_message(candidate_init("t", i)), 3 + i);
    // The old connection: whatever was already on its way, then 4000.
    expect_closed(a, 4000);
    for (const auto& message : a.history()) {
        INFO("old connection got " << message.dump());
        REQUIRE(message.value("seq", 0) <= 12);
    }
    // The partner sees nothing of the takeover.
    REQUIRE(b.expect_silence(500ms));
    REQUIRE(c.expect_silence(100ms));

    b.send_json(offer_message(text_sdp("31")));
    expect_at(c, offer_message(text_sdp("31")), 13);
    c.send_json(answer_message(text_sdp("32")));
    expect_message(b, answer_message(text_sdp("32")));
    require_metric(daemon, "onymous_sessions", 2);
    require_metric(daemon, "onymous_sessions_in_grace", 0);
    require_metric(daemon, "onymous_connections", 2);
    finish_clean(daemon);
}

TEST_CASE("a waiting client in its grace is not matched; resumed, it is", "[resume_test][e2e]") {
    daemon_process daemon({quick_close, long_grace, {"matching.rematch_cooldown", "0s"}});
    auto w1 = open_client(daemon);
    join(w1);  // seq 1
    const auto token = hello_token(w1);
    w1.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);

    // w2 arrives meanwhile: w1 keeps its place but is not eligible.
    auto w2 = open_client(daemon);
    join(w2);
    REQUIRE(w2.expect_silence(500ms));
    // A third joiner can only be paired with w2.
    auto w3 = open_client(daemon);
    join(w3);
    expect_pairing(w2, w3);
    // A fourth waits, alone among the eligible.
    auto w4 = open_client(daemon);
    join(w4);
    REQUIRE(w4.expect_silence(300ms));

    // w1 resumes, still waiting, and is then matched with w4.
    auto back = open_resuming(daemon, token, 1);
    expect_resumed(back, "waiting", "", token);
    const auto role = expect_matched_at(back, 2);
    const auto other = expect_type(w4, "matched");
    REQUIRE(other["role"] != role);
    back.send_json(offer_message(text_sdp("41")));
    expect_message(w4, offer_message(text_sdp("41")));
    w4.send_json(answer_message(text_sdp("42")));
    expect_at(back, answer_message(text_sdp("42")), 3);
    REQUIRE(w2.pending() == 0);
    REQUIRE(w3.pending() == 0);
    finish_clean(daemon);
}

TEST_CASE("a matched message lost with the connection is re-sent after resumed",
          "[resume_test][e2e]") {
    daemon_process daemon({quick_close, long_grace});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    join(a);  // a reads waiting (seq 1) and nothing more
    join(b);
    const auto b_role = expect_type(b, "matched")["role"].get<std::string>();
    const auto a_role = std::string(b_role == "offerer" ? "answerer" : "offerer");
    const auto token = hello_token(a);
    a.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    auto back = open_resuming(daemon, token, 1);
    expect_resumed(back, "paired", a_role, token);
    REQUIRE(expect_matched_at(back, 2) == a_role);
    REQUIRE(back.expect_silence(200ms));
    back.send_json(candidate_message(candidate_init("q", 1)));
    expect_message(b, candidate_message(candidate_init("q", 1)));
    finish_clean(daemon);
}

TEST_CASE("an idle session resumes idle, and its seq keeps counting", "[resume_test][e2e]") {
    daemon_process daemon({quick_close, long_grace});
    auto a = open_client(daemon);
    join(a);  // waiting, seq 1
    a.send_json({{"type", "leave"}});
    expect_message(a, {{"type", "left"}});  // seq 2
    const auto token = hello_token(a);
    a.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    auto back = open_resuming(daemon, token, 2);
    expect_resumed(back, "idle", "", token);
    ping_pong(back);
    back.send_json(join_message("text"));
    expect_at(back, {{"type", "waiting"}}, 3);
    finish_clean(daemon);
}

TEST_CASE("both sides of a pairing drop and resume; what each sent is kept", "[resume_test][e2e]") {
    daemon_process daemon({quick_close, long_grace});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b);
    const auto token_a = hello_token(a);
    const auto token_b = hello_token(b);
    a.drop();
    b.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 2);

    auto a2 = open_resuming(daemon, token_a, 2);
    expect_resumed(a2, "paired", pairing.a_matched["role"].get<std::string>(), token_a);
    REQUIRE(a2.expect_silence(200ms));
    a2.send_json(offer_message(text_sdp("51")));  // to a partner in its grace
    ping_pong(a2);                                // nothing refused
    auto b2 = open_resuming(daemon, token_b, 2);
    expect_resumed(b2, "paired", pairing.b_matched["role"].get<std::string>(), token_b);
    expect_at(b2, offer_message(text_sdp("51")), 3);
    b2.send_json(answer_message(text_sdp("52")));
    expect_at(a2, answer_message(text_sdp("52")), 3);
    require_metric(daemon, "onymous_sessions_in_grace", 0);
    finish_clean(daemon);
}

TEST_CASE("a partner that moves on during the grace: resumed idle, then partner_left",
          "[resume_test][e2e]") {
    daemon_process daemon({quick_close, long_grace});
    for (const std::string how : {"next", "leave", "close"}) {
        INFO("the partner ends the pairing with " << how);
        auto a = open_client(daemon);
        auto b = open_client(daemon);
        const auto pairing = pair(a, b);
        const auto token = hello_token(a);
        a.drop();
        require_metric(daemon, "onymous_sessions_in_grace", 1);
        b.send_json(candidate_message(candidate_init("p", 1)));
        if (how == "close") {
            b.close(1000);
        } else {
            b.send_json({{"type", how}});
            expect_message(b, {{"type", how == "next" ? "waiting" : "left"}});
        }
        auto back = open_resuming(daemon, token, 2);
        expect_resumed(back, "idle", "", token);
        expect_at(back, candidate_message(candidate_init("p", 1)), 3);
        expect_at(back, {{"type", "partner_left"}}, 4);
        REQUIRE(back.expect_silence(200ms));
        (void)pairing;
        // Closed with a frame, so that no session is left in its grace.
        back.close(1000);
        b.close(1000);
    }
    require_metric(daemon, "onymous_sessions", 0);
    finish_clean(daemon);
}
