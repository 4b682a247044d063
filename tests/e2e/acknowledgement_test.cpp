// Acknowledgements (PROTOCOL.md, Acknowledgements; CONFIG.md,
// limits.max_unacked_bytes): a client that acks leaves the server nothing to
// keep for a resume, one that never acks is held to max_unacked_bytes, and
// resume works across a drop in both cases, from within what is held.

#include "lifecycle.hpp"

#include <string>

using namespace onymous::test;
using steady = std::chrono::steady_clock;

namespace {

const config_override many_candidates{"limits.pair_max_candidates", 1000};
const config_override fast_messages{"limits.messages_per_second", 1000};
const config_override big_burst{"limits.burst", 1000};
const config_override long_grace{"limits.resume_grace", "30s"};

json ack(std::int64_t seq) { return {{"type", "ack"}, {"seq", seq}}; }

json numbered_candidate(int i) { return candidate_message(candidate_init(std::to_string(i), i)); }

/// `from` sends `count` candidates numbered from `first`; `to` reads each,
/// in order, with the next seq, and acks every `ack_every` (0: never).
void exchange(ws_client& from, ws_client& to, int first, int count, int ack_every) {
    for (int i = first; i < first + count; ++i) from.send_json(numbered_candidate(i));
    for (int i = first; i < first + count; ++i) {
        expect_message(to, numbered_candidate(i));
        if (ack_every > 0 && (i - first + 1) % ack_every == 0) to.send_json(ack(to.last_seq()));
    }
}

/// The resume history gauge, once `client` has spoken (a client's message
/// is when its history is trimmed to what the connection has written).
double history_after_ping(const daemon_process& daemon, ws_client& client) {
    ping_pong(client);
    return metric(daemon, "onymous_resume_history_bytes").value_or(-1);
}

}  // namespace

TEST_CASE("a client that acks leaves nothing to keep, and resumes across a drop",
          "[acknowledgement_test][e2e]") {
    daemon_process daemon({many_candidates, fast_messages, big_burst, long_grace, quick_close});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto a_role = pair(a, b).a_offers ? "offerer" : "answerer";
    b.send_json(ack(b.last_seq()));
    // 200 messages, acked as the contract suggests: every 8 at most.
    exchange(b, a, 0, 200, 8);
    a.send_json(ack(a.last_seq()));
    require_metric(daemon, "onymous_resume_history_bytes", 0);
    REQUIRE(metric(daemon, "onymous_buffered_bytes") < 16 * 1024);  // read buffers only

    // A drop; what b sends meanwhile is kept and replayed, in order.
    const auto token = hello_token(a);
    const auto last = a.last_seq();
    a.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    for (int i = 200; i < 203; ++i) b.send_json(numbered_candidate(i));
    ping_pong(b);  // the three are with the server
    auto again = open_resuming(daemon, token, last);
    expect_resumed(again, "paired", a_role, token);
    for (int i = 200; i < 203; ++i) expect_at(again, numbered_candidate(i), last + 1 + (i - 200));
    // Nothing more, and the ack of the resume let the history go.
    again.send_json(ack(last + 3));
    require_metric(daemon, "onymous_resume_history_bytes", 0);
    exchange(b, again, 203, 2, 1);
    finish_clean(daemon);
}

TEST_CASE("between messages a connection holds only the first bytes of its next read, counted",
          "[acknowledgement_test][e2e]") {
    // The budget counts held read buffers. A connection waiting for its
    // next message holds 256 bytes for it (not the 1,536 a whole-message
    // read would take), and a longer message is still read whole.
    constexpr double pending_read = 256;
    daemon_process daemon;
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto roles = pair(a, b);
    for (auto* client : {&a, &b}) client->send_json(ack(client->last_seq()));
    require_metric(daemon, "onymous_resume_history_bytes", 0);
    require_metric(daemon, "onymous_buffered_bytes", 2 * pending_read);

    auto& offerer = roles.offerer(a, b);
    auto& answerer = roles.answerer(a, b);
    const auto offer = offer_message(padded_sdp("long", 12000));
    offerer.send_json(offer);
    expect_message(answerer, offer);
    answerer.send_json(ack(answerer.last_seq()));
    require_metric(daemon, "onymous_resume_history_bytes", 0);
    require_metric(daemon, "onymous_buffered_bytes", 2 * pending_read);
    finish_clean(daemon);
}

TEST_CASE("a client that never acks is held to max_unacked_bytes; resume works within it",
          "[acknowledgement_test][e2e]") {
    constexpr double max_unacked = 4096;
    daemon_process daemon({{"limits.max_unacked_bytes", 4096},
                           many_candidates,
                           fast_messages,
                           big_burst,
                           long_grace,
                           quick_close});
    // Two pairs: one resumes from within the bound, the other from before it.
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto a_role = pair(a, b).a_offers ? "offerer" : "answerer";
    auto c = open_client(daemon);
    auto d = open_client(daemon);
    pair(c, d);
    for (auto* speaker : {&b, &d}) speaker->send_json(ack(speaker->last_seq()));
    exchange(b, a, 0, 200, 0);
    exchange(d, c, 0, 200, 0);
    // Each listener's history is trimmed to the bound once the connection has
    // written what it holds: poll (each ping is a chance to trim) until it is.
    const auto deadline = steady::now() + allowance(5s);
    history_after_ping(daemon, c);
    double held = history_after_ping(daemon, a);
    while (held > 2 * max_unacked && steady::now() < deadline) {
        history_after_ping(daemon, c);
        held = history_after_ping(daemon, a);
    }
    INFO("resume history: " << held << " bytes for two clients");
    REQUIRE(held <= 2 * max_unacked);
    // Full, not empty. The bound counts each message's text plus what
    // holding it costs (session::history::message_overhead, 128 bytes), and
    // the gauge the texts only: a ~260-byte candidate takes ~390 of the
    // bound, so each listener holds within one message of it, 9 or 10
    // candidates.
    REQUIRE(held > 2 * 9 * 240);

    {
        // From 5 messages back: inside the bound, replayed in order.
        const auto token = hello_token(a);
        const auto last = a.last_seq();
        a.drop();
        require_metric(daemon, "onymous_sessions_in_grace", 1);
        auto again = open_resuming(daemon, token, last - 5);
        expect_resumed(again, "paired", a_role, token);
        for (int i = 195; i < 200; ++i) expect_at(again, numbered_candidate(i), last - 199 + i);
        exchange(b, again, 200, 1, 0);
        again.close(1000);
        expect_message(b, {{"type", "partner_left"}});
    }
    {
        // From 100 back: those are gone.
        const auto token = hello_token(c);
        const auto last = c.last_seq();
        c.drop();
        require_metric(daemon, "onymous_sessions_in_grace", 1);
        auto again = open_resuming(daemon, token, last - 100);
        expect_resume_failed(again);
        join(again);  // a fresh idle session after all
    }
    finish_clean(daemon);
}

TEST_CASE("an ack is accepted in every state, gets no answer, and may not run ahead",
          "[acknowledgement_test][e2e]") {
    daemon_process daemon;
    auto a = open_client(daemon);
    a.send_json(ack(0));  // idle, nothing sent: fine
    ping_pong(a);
    a.send_json(ack(1));
    expect_message(a, {{"type", "error"},
                       {"code", "invalid_message"},
                       {"message", "ack names a seq that was never sent"},
                       {"ref", "ack"}});
    join(a);
    a.send_json(ack(1));  // waiting
    a.send_json({{"type", "ack"}, {"seq", -1}});
    expect_message(a, {{"type", "error"},
                       {"code", "invalid_message"},
                       {"message", "seq must be a non-negative integer"},
                       {"ref", "ack"}});
    a.send_json({{"type", "ack"}});
    expect_error(a, "invalid_message", "ack");
    ping_pong(a);
    finish_clean(daemon);
}
