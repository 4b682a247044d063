// The per-connection limits against the real daemon (PROTOCOL.md: Client →
// server, Error codes): the message bucket, the join bucket and the
// per-pairing caps each answer exactly rate_limited, nothing of the excess
// reaches the partner, and a control pair on the same daemon goes on.
//
// The buckets refill in real time, so every rate here is 1 per second: the
// few milliseconds a burst takes cannot refill a token.

#include "helpers.hpp"

#include <string>

using namespace onymous::test;

namespace {

json offer(std::string_view marker) { return {{"type", "offer"}, {"sdp", text_sdp(marker)}}; }
json answer(std::string_view marker) { return {{"type", "answer"}, {"sdp", text_sdp(marker)}}; }
json candidate(std::string_view marker, int foundation) {
    return {{"type", "candidate"}, {"candidate", candidate_init(marker, foundation)}};
}
const json end_of_candidates = {{"type", "candidate"}, {"candidate", nullptr}};

/// `from`'s offer carrying `marker` reaches `to`, and nothing else was
/// waiting there before it.
void expect_relayed(ws_client& from, ws_client& to, std::string_view marker) {
    from.send_json(offer(marker));
    expect_message(to, offer(marker));
}

/// A pair in video mode (never matched with the text-mode clients) whose
/// messages flow while the others are refused.
void expect_control_pair_works(ws_client& c, ws_client& d, int offers) {
    for (int i = 0; i < offers; ++i) {
        expect_relayed(c, d, "9" + std::to_string(i));
        expect_relayed(d, c, "8" + std::to_string(i));
    }
}

}  // namespace

TEST_CASE("the message bucket: past the burst every message gets rate_limited, unparsed",
          "[rate_limits_test][e2e]") {
    daemon_process daemon({{"limits.messages_per_second", 1}, {"limits.burst", 8}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    auto c = open_client(daemon);
    auto d = open_client(daemon);
    pair(a, b);  // one token each
    pair(c, d, "video");
    for (int i = 0; i < 4; ++i) a.send_json(offer(std::to_string(100 + i)));
    for (int i = 0; i < 3; ++i) a.send_text("{oops");
    // The burst is spent: neither JSON nor the type matter any more, and
    // nothing is relayed.
    a.send_text("{oops");
    a.send_json(offer("199"));
    a.send_json({{"type", "ping"}});
    for (int i = 0; i < 3; ++i) expect_error(a, "bad_json");
    for (int i = 0; i < 3; ++i) expect_error(a, "rate_limited");
    for (int i = 0; i < 4; ++i) expect_message(b, offer(std::to_string(100 + i)));
    REQUIRE(b.expect_silence(200ms));
    expect_control_pair_works(c, d, 3);
    // A token a second: after a little over one, one message goes again.
    REQUIRE(a.expect_silence(1100ms));
    expect_relayed(a, b, "150");
    finish(daemon);
}

TEST_CASE("rate_limited counts toward the error budget: 1008 when spent",
          "[rate_limits_test][e2e]") {
    daemon_process daemon(
        {{"limits.messages_per_second", 1}, {"limits.burst", 2}, {"limits.max_errors", 3}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    a.send_json(offer("200"));
    for (int i = 0; i < 3; ++i) a.send_json(offer(std::to_string(201 + i)));
    for (int i = 0; i < 3; ++i) expect_error(a, "rate_limited");
    expect_closed(a, 1008);
    expect_message(b, offer("200"));
    expect_type(b, "partner_left");
    finish(daemon);
}

TEST_CASE("the join bucket: join and next past their burst get rate_limited, before bad_state",
          "[rate_limits_test][e2e]") {
    daemon_process daemon({{"limits.joins_per_second", 1},
                           {"limits.join_burst", 2},
                           {"matching.rematch_cooldown", "0s"}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    auto c = open_client(daemon);
    auto d = open_client(daemon);
    pair(a, b);
    pair(c, d, "video");
    // A's second token: the pairing ends, and A and B meet again.
    a.send_json({{"type", "next"}});
    expect_type(a, "waiting");
    expect_type(b, "partner_left");
    join(b);
    expect_pairing(a, b);
    // Empty: next is refused and the pairing goes on; a join is refused
    // before the state table would say bad_state.
    a.send_json({{"type", "next"}});
    expect_error(a, "rate_limited", "next");
    a.send_json(join_message("text"));
    expect_error(a, "rate_limited", "join");
    REQUIRE(b.expect_silence(200ms));
    expect_relayed(a, b, "300");
    expect_relayed(b, a, "301");
    // The control pair has buckets of its own.
    c.send_json({{"type", "next"}});
    expect_type(c, "waiting");
    expect_type(d, "partner_left");
    join(d, "video");
    expect_pairing(c, d);
    expect_control_pair_works(c, d, 1);
    finish(daemon);
}

TEST_CASE(
    "the per-pairing caps: each direction apart, end-of-candidates free, reset by a new pairing",
    "[rate_limits_test][e2e]") {
    daemon_process daemon({{"limits.pair_max_offers", 2}, {"limits.pair_max_candidates", 3}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    auto c = open_client(daemon);
    auto d = open_client(daemon);
    pair(a, b);
    pair(c, d, "video");

    // Offers and answers share one cap.
    a.send_json(offer("400"));
    a.send_json(answer("401"));
    a.send_json(offer("402"));
    expect_error(a, "rate_limited", "offer");
    a.send_json(answer("403"));
    expect_error(a, "rate_limited", "answer");
    expect_message(b, offer("400"));
    expect_message(b, answer("401"));

    // Candidates have their own; end-of-candidates, null or "", is not counted.
    for (int i = 1; i <= 3; ++i) {
        a.send_json(candidate("41", i));
        a.send_json(end_of_candidates);
        a.send_json({{"type", "candidate"}, {"candidate", {{"candidate", ""}, {"sdpMid", "0"}}}});
    }
    a.send_json(candidate("41", 4));
    expect_error(a, "rate_limited", "candidate");
    for (int i = 1; i <= 3; ++i) {
        expect_type(b, "candidate");
        expect_message(b, end_of_candidates);
        expect_type(b, "candidate");
    }
    REQUIRE(b.expect_silence(200ms));

    // The other direction counts on its own.
    b.send_json(offer("420"));
    b.send_json(answer("421"));
    expect_message(a, offer("420"));
    expect_message(a, answer("421"));

    // The control pair may use its whole allowance meanwhile.
    expect_control_pair_works(c, d, 1);

    // A new pairing starts from zero.
    auto e = open_client(daemon);
    a.send_json({{"type", "next"}});
    expect_type(a, "waiting");
    expect_type(b, "partner_left");
    join(e);
    expect_pairing(a, e);
    expect_relayed(a, e, "430");
    expect_relayed(a, e, "431");
    a.send_json(offer("432"));
    expect_error(a, "rate_limited", "offer");
    REQUIRE(e.expect_silence(200ms));
    REQUIRE(b.expect_silence(50ms));
    finish(daemon);
}
