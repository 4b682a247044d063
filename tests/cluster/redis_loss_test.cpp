// A node that cannot reach Redis keeps pairing its own clients and says so
// (/readyz "degraded", onymous_cluster_degraded); a Redis that comes back,
// even empty, has the cluster pairing across nodes again with every waiter
// queued (issue 18, Liveness and failure).

#include "cluster_fixture.hpp"
#include "lifecycle.hpp"
#include "ops_helpers.hpp"

using namespace onymous::test;

TEST_CASE(
    "SIGSTOP of Redis: every node says degraded and still pairs its own clients; SIGCONT "
    "recovers",
    "[cluster_redis_pause][cluster_redis_loss_test][cluster]") {
    cluster c({.nodes = 3, .heartbeat_interval = "200ms", .node_timeout = "1500ms"});
    for (auto& n : c.nodes) REQUIRE(readiness(*n) == "200 ready");

    c.redis.pause();
    for (auto& n : c.nodes) {
        wait_for_readiness(*n, "200 degraded", allowance(10s));
        wait_for_sample(*n, "onymous_cluster_degraded", {}, 1, allowance(5s), false);
    }
    // Two clients of one node meet and relay without Redis.
    auto a = open_on(c.node(1));
    auto b = open_on(c.node(1));
    const auto pairing = pair(a, b, "text", {"cats"}, {"cats"});
    REQUIRE(pairing.a_matched["interests"] == json::array({"cats"}));
    pairing.offerer(a, b).send_json(offer_message(text_sdp("local")));
    expect_message(pairing.answerer(a, b), offer_message(text_sdp("local")));
    // A waiter left alone meanwhile moves into the pool once Redis is back.
    auto alone = open_on(c.node(0));
    join(alone, "video");

    c.redis.resume();
    for (auto& n : c.nodes) wait_for_readiness(*n, "200 ready", allowance(15s));
    c.await_connected();
    auto newcomer = open_on(c.node(2));
    join(newcomer, "video");
    expect_pairing(alone, newcomer);
    // The pair made without Redis goes on.
    pairing.answerer(a, b).send_json(answer_message(text_sdp("still")));
    expect_message(pairing.offerer(a, b), answer_message(text_sdp("still")));
    for (auto& n : c.nodes) finish(*n);
}

TEST_CASE("a Redis restarted empty: waiters are queued again and the cluster pairs across nodes",
          "[cluster_redis_restart][cluster_redis_loss_test][cluster]") {
    cluster c({.nodes = 3, .heartbeat_interval = "200ms", .node_timeout = "1500ms"});
    auto waiter = open_on(c.node(0));
    join(waiter, "text", {"chess"});
    auto other_waiter = open_on(c.node(1));
    join(other_waiter, "video");
    const auto generation = c.redis.cli({"GET", "test:generation"});

    c.redis.restart();  // kill -9, then an empty redis-server on the same port
    // Every node notices, takes the new generation and queues its waiters.
    for (auto& n : c.nodes) wait_for_readiness(*n, "200 ready", allowance(15s));
    c.await_connected();
    REQUIRE(c.redis.cli({"GET", "test:generation"}) != generation);

    auto chess = open_on(c.node(2));
    join(chess, "text", {"chess"});
    REQUIRE(expect_pairing(waiter, chess, allowance(10s)).a_matched["interests"] ==
            json::array({"chess"}));
    auto video = open_on(c.node(2));
    join(video, "video");
    expect_pairing(other_waiter, video, allowance(10s));
    for (auto& n : c.nodes) finish(*n);
}

TEST_CASE("a cross-node pair cut off by a Redis outage ends on both sides, nothing delivered late",
          "[cluster_redis_cut][cluster_redis_loss_test][cluster]") {
    cluster c({.nodes = 2, .heartbeat_interval = "200ms", .node_timeout = "1500ms"});
    auto a = open_on(c.node(0));
    auto b = open_on(c.node(1));
    const auto pairing = pair(a, b);
    ws_client& offerer = pairing.offerer(a, b);
    ws_client& answerer = pairing.answerer(a, b);

    c.redis.pause();
    // What a sends cannot be delivered: past the link's deadline the pair
    // ends on a's side.
    offerer.send_json(offer_message(text_sdp("lost")));
    expect_type(offerer, "partner_left", allowance(10s));
    c.redis.resume();
    for (auto& n : c.nodes) wait_for_readiness(*n, "200 ready", allowance(15s));
    // b hears of it, from the retried `ended`, or, if that gave up too, as
    // soon as it says anything. The offer may still arrive first: Redis
    // runs what was written to it before the outage once it runs again (a
    // message late, then the end: never one lost without a word).
    answerer.send_json(candidate_message(candidate_init("late")));
    auto first = next_message(answerer, allowance(10s));
    if (first["type"] == "offer") {
        REQUIRE(first["sdp"] == text_sdp("lost"));
        first = next_message(answerer, allowance(10s));
    }
    REQUIRE(first["type"] == "partner_left");
    wait_for_sample(c.node(0), "onymous_cluster_pairs_across_nodes", {}, 0);
    wait_for_sample(c.node(1), "onymous_cluster_pairs_across_nodes", {}, 0);
    // And the two meet afresh through Redis.
    offerer.send_json({{"type", "next"}});
    expect_type(offerer, "waiting");
    answerer.send_json({{"type", "next"}});
    expect_type(answerer, "waiting");
    expect_type(offerer, "matched", allowance(10s));
    expect_type(answerer, "matched", allowance(10s));
    for (auto& n : c.nodes) finish(*n);
}
