// A resume may reach any node (PROTOCOL.md, Resume): the node that holds
// the session keeps it and is lent the new connection (a bridge), so the
// client gets `resumed` and every message above last_seq, and the chat goes
// on both ways, whichever node its new connection landed on. A token no
// node holds gets resume_failed; a holder that dies closes the bridged
// connection with 1001, and the resume after it fails.

#include "cluster_fixture.hpp"
#include "lifecycle.hpp"
#include "ops_helpers.hpp"

using namespace onymous::test;

namespace {

/// The node a client of pair(on_0, on_1) is on.
daemon_process& home_of(cluster& c, const ws_client& client, const ws_client& on_0) {
    return &client == &on_0 ? c.node(0) : c.node(1);
}

}  // namespace

TEST_CASE("a resume on another node gets every message its partner sent meanwhile",
          "[cluster_resume_test][cluster]") {
    cluster c({.nodes = 3});
    auto a = open_on(c.node(0));
    auto b = open_on(c.node(1));
    const auto pairing = pair(a, b);
    ws_client& offerer = pairing.offerer(a, b);
    ws_client& answerer = pairing.answerer(a, b);
    daemon_process& home = home_of(c, answerer, a);
    const auto token = hello_token(answerer);

    // Matched (seq 2), an offer (seq 3); then the answerer drops.
    offerer.send_json(offer_message(text_sdp("11")));
    expect_message(answerer, offer_message(text_sdp("11")));
    REQUIRE(answerer.last_seq() == 3);
    answerer.drop();
    require_metric(home, "onymous_sessions_in_grace", 1);
    for (int i = 0; i < 5; ++i) offerer.send_json(candidate_message(candidate_init("m", i)));
    offerer.send_json({{"type", "candidate"}, {"candidate", nullptr}});

    // Back on the third node, which holds neither side.
    connect_options plain;
    plain.tls = false;
    auto back = open_resuming(c.node(2), token, 3, plain);
    const auto token2 = expect_resumed(back, "paired", "answerer", token);
    for (int i = 0; i < 5; ++i) expect_at(back, candidate_message(candidate_init("m", i)), 4 + i);
    expect_at(back, {{"type", "candidate"}, {"candidate", nullptr}}, 9);
    REQUIRE(back.expect_silence(300ms));
    wait_for_sample(c.node(2), "onymous_cluster_resumes_total", {{"outcome", "bridged"}}, 1);
    wait_for_sample(c.node(2), "onymous_cluster_bridges", {}, 1);
    wait_for_sample(home, "onymous_cluster_bridges", {}, 1);
    require_metric(home, "onymous_sessions_in_grace", 0);

    // The chat goes on both ways, in order; seq keeps counting.
    back.send_json(answer_message(text_sdp("12")));
    expect_message(offerer, answer_message(text_sdp("12")));
    for (int i = 0; i < 20; ++i) offerer.send_json(candidate_message(candidate_init("p", i)));
    for (int i = 0; i < 20; ++i) expect_at(back, candidate_message(candidate_init("p", i)), 10 + i);
    ping_pong(back);

    // Dropped again: the holder's session waits out its grace, and a resume
    // on the holder itself takes it back from there.
    back.drop();
    require_metric(home, "onymous_sessions_in_grace", 1);
    wait_for_sample(c.node(2), "onymous_cluster_bridges", {}, 0);
    wait_for_sample(home, "onymous_cluster_bridges", {}, 0);
    offerer.send_json(candidate_message(candidate_init("n", 1)));
    auto again = open_resuming(home, token2, 29, plain);
    expect_resumed(again, "paired", "answerer", token2);
    expect_at(again, candidate_message(candidate_init("n", 1)), 30);
    again.send_json(candidate_message(candidate_init("o", 2)));
    expect_message(offerer, candidate_message(candidate_init("o", 2)));
    REQUIRE(again.expect_silence(200ms));
    REQUIRE(offerer.pending() == 0);
    for (auto& n : c.nodes) finish(*n);
}

TEST_CASE("a resume on another node while the old connection lives takes it over with 4000",
          "[cluster_resume_test][cluster]") {
    cluster c({.nodes = 2});
    auto a = open_on(c.node(0));
    auto b = open_on(c.node(1));
    const auto pairing = pair(a, b);
    ws_client& offerer = pairing.offerer(a, b);
    ws_client& answerer = pairing.answerer(a, b);
    const auto token = hello_token(answerer);
    daemon_process& other = &answerer == &a ? c.node(1) : c.node(0);

    // The new connection lands on the partner's node.
    connect_options plain;
    plain.tls = false;
    auto moved = open_resuming(other, token, 2, plain);
    expect_resumed(moved, "paired", "answerer", token);
    expect_closed(answerer, 4000);
    offerer.send_json(offer_message(text_sdp("21")));
    expect_at(moved, offer_message(text_sdp("21")), 3);

    // A clean close there ends the session at its holder: the partner
    // hears at once.
    moved.close();
    expect_type(offerer, "partner_left");
    for (auto& n : c.nodes) finish(*n);
}

TEST_CASE("a token no node holds gets resume_failed, and the connection goes on fresh",
          "[cluster_resume_test][cluster]") {
    cluster c({.nodes = 3});
    connect_options plain;
    plain.tls = false;
    auto lost = open_resuming(c.node(0), "AAAAAAAAAAAAAAAAAAAAAA", 5, plain);
    expect_resume_failed(lost);
    wait_for_sample(c.node(0), "onymous_cluster_resumes_total", {{"outcome", "not_found"}}, 1);
    // A fresh idle session: it joins and meets a stranger on another node.
    auto stranger = open_on(c.node(1));
    pair(lost, stranger);
    for (auto& n : c.nodes) finish(*n);
}

TEST_CASE("the death of the node that holds a bridged session closes its connection with 1001",
          "[cluster_resume_test][cluster]") {
    cluster c({.nodes = 3});
    auto a = open_on(c.node(0));
    auto b = open_on(c.node(2));
    const auto pairing = pair(a, b);
    const std::string role = &pairing.offerer(a, b) == &a ? "offerer" : "answerer";
    const auto token = hello_token(a);
    a.drop();
    require_metric(c.node(0), "onymous_sessions_in_grace", 1);
    connect_options plain;
    plain.tls = false;
    auto back = open_resuming(c.node(1), token, 2, plain);
    const auto token2 = expect_resumed(back, "paired", role, token);

    c.node(0).stop(std::chrono::seconds(5), 9);
    expect_closed(back, 1001, allowance(5s));
    expect_type(b, "partner_left", allowance(5s));
    auto late = open_resuming(c.node(1), token2, 2, plain);
    expect_resume_failed(late, allowance(5s));
    finish(c.node(1));
    finish(c.node(2));
}
