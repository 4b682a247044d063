// A node that dies (kill -9) takes nothing with it but its own clients:
// its partners elsewhere hear partner_left within cluster.node_timeout,
// and its waiters leave the pool (issue 18, Liveness and failure).

#include "cluster_fixture.hpp"
#include "ops_helpers.hpp"

#include <chrono>

using namespace onymous::test;

TEST_CASE(
    "kill -9 of a node: its partners get partner_left within node_timeout, its waiters "
    "leave the pool",
    "[cluster_node_death][cluster_failure_test][cluster]") {
    cluster c({.nodes = 3, .heartbeat_interval = "200ms", .node_timeout = "1500ms"});
    auto a = open_on(c.node(0));
    auto b = open_on(c.node(1));
    pair(a, b);
    wait_for_sample(c.node(0), "onymous_cluster_pairs_across_nodes", {}, 1);
    // A waiter on the node that dies.
    auto doomed_waiter = open_on(c.node(1));
    join(doomed_waiter, "video");

    const auto killed = std::chrono::steady_clock::now();
    c.node(1).stop(std::chrono::seconds(5), 9);
    expect_type(a, "partner_left", allowance(5s));
    const auto after = std::chrono::steady_clock::now() - killed;
    INFO("partner_left after "
         << std::chrono::duration_cast<std::chrono::milliseconds>(after).count() << " ms");
    // node_timeout, plus a tick of the heartbeat timer on a busy machine.
    if (timing_tests_enabled()) REQUIRE(after < std::chrono::milliseconds(1500 + 400));

    wait_for_sample(c.node(0), "onymous_cluster_pairs_broken_total", {{"reason", "node_down"}}, 1);
    wait_for_sample(c.node(0), "onymous_cluster_pairs_across_nodes", {}, 0);

    // The dead node's waiter is gone from the pool: two newcomers in its
    // mode meet each other. (Node 0 purged it before it told a.)
    auto one = open_on(c.node(0));
    join(one, "video");
    auto two = open_on(c.node(2));
    join(two, "video");
    expect_pairing(one, two);
    finish(c.node(0));
    finish(c.node(2));
}
