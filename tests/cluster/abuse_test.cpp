// The abuse controls in cluster mode (issue 19; docs/architecture.md, Abuse
// controls in cluster mode): reports and skips counted on one node count on
// every node, the shadow pool holds across nodes, and a node that starts
// later learns the standings from Redis. So a client cannot escape them by
// landing on another node.
//
// Every abuse counter is per address: each client binds its own 127.0.0.x
// source address, as tests/e2e/abuse_test.cpp does.

#include "abuse_helpers.hpp"
#include "cluster_fixture.hpp"
#include "lifecycle.hpp"
#include "ops_helpers.hpp"

#include <algorithm>
#include <thread>

using namespace onymous::test;

namespace {

/// Waits until the pool in Redis holds `count` waiters: a join's `waiting`
/// comes before the node has queued it there.
void await_pool(cluster& c, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + allowance(10s);
    while (c.pooled_waiters() != count && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    REQUIRE(c.pooled_waiters() == count);
}

/// `flagged` waits first, then two unflagged clients join: an unflagged
/// `first` would take `flagged` (the only waiter), so their meeting each
/// other, with nothing sent to `flagged`, shows it is nobody's candidate.
void require_passed_by(cluster& c, ws_client& flagged, ws_client& first, ws_client& second) {
    join(flagged);
    await_pool(c, 1);
    join(first);
    await_pool(c, 2);
    join(second);
    expect_pairing(first, second);
    ping_pong(flagged);  // nothing came to it before this answer
}

/// A proof of the challenge `message` (hello or waiting) carries.
json proof_of(const json& message) { return proof_for(challenge_of(message)); }

const std::vector<config_override> shadow_settings{
    {"abuse.shadow_threshold", 3},
    {"abuse.suspend_threshold", 100},
    {"abuse.report_window", "10m"},
    {"abuse.shadow_duration", "10m"},
};

}  // namespace

TEST_CASE("a client reported on one node stays in the shadow pool on another",
          "[cluster_abuse][cluster_abuse_test][cluster]") {
    cluster c({.nodes = 2, .extra = shadow_settings});
    daemon_process& a = c.node(0);
    daemon_process& b = c.node(1);

    // t1 is reported by three people on node a, t2 by three on node b.
    std::vector<ws_client> on_a, on_b;
    for (const auto* source : {"127.0.0.11", "127.0.0.12", "127.0.0.13"})
        on_a.push_back(client_from(a, source));
    for (const auto* source : {"127.0.0.14", "127.0.0.15", "127.0.0.16"})
        on_b.push_back(client_from(b, source));
    {
        auto t1 = client_from(a, "127.0.0.21");
        for (auto& reporter : on_a) report_once(t1, reporter);
        auto t2 = client_from(b, "127.0.0.22");
        for (auto& reporter : on_b) report_once(t2, reporter);
    }
    // Each node counted three reports and heard the other's three.
    for (auto* node : {&a, &b}) {
        wait_for_sample(*node, "onymous_addresses_shadowed", {}, 2);
        wait_for_sample(*node, "onymous_reports_total", {{"outcome", "counted"}}, 3);
        wait_for_sample(*node, "onymous_cluster_abuse_events_total", {{"direction", "received"}},
                        3);
    }

    // t1 comes back on node b, t2 on node a: new connections, same addresses.
    auto t1 = client_from(b, "127.0.0.21");
    auto t2 = client_from(a, "127.0.0.22");
    auto u1 = client_from(a, "127.0.0.31");
    auto u2 = client_from(b, "127.0.0.32");

    // u1 and u2 meet across nodes; t1 is nobody's candidate.
    require_passed_by(c, t1, u1, u2);

    // Another flagged client, on the other node, is t1's partner.
    join(t2);
    expect_pairing(t1, t2);

    // And the unflagged meet the unflagged again.
    meet_again(u1, u2);
    finish(a);
    finish(b);
}

TEST_CASE("suspension follows a client to another node",
          "[cluster_abuse][cluster_abuse_test][cluster]") {
    cluster c({.nodes = 2,
               .extra = {{"abuse.shadow_threshold", 2},
                         {"abuse.suspend_threshold", 2},
                         {"abuse.report_window", "4s"},
                         {"abuse.shadow_duration", "1s"}}});
    daemon_process& a = c.node(0);
    daemon_process& b = c.node(1);
    {
        auto target = client_from(a, "127.0.0.41");
        auto r1 = client_from(a, "127.0.0.42");
        auto r2 = client_from(a, "127.0.0.43");
        report_once(target, r1);
        report_once(target, r2);
    }
    wait_for_sample(b, "onymous_addresses_suspended", {}, 1);

    auto target = client_from(b, "127.0.0.41");
    target.send_json(join_message("text"));
    const auto retry = expect_retry_after(target, "suspended", "join");
    CHECK(retry > 0);
    CHECK(retry <= 4000);
    // Another address on that node is not suspended.
    auto other = client_from(b, "127.0.0.44");
    join(other);

    // It ends on that node too, once the reports age out of the window.
    wait_for_sample(b, "onymous_addresses_suspended", {}, 0, allowance(6s, 2));
    target.send_json(join_message("text"));
    expect_type(target, "waiting");
    finish(a);
    finish(b);
}

TEST_CASE("proof of work in cluster mode: proofs of each node's challenges, once, on that node",
          "[cluster_abuse][cluster_abuse_test][cluster]") {
    cluster c(
        {.nodes = 2,
         // 4 nonces: a proof meets another challenge by a chance of 2^-32.
         .extra = {{"abuse.pow_bits", 8}, {"abuse.pow_count", 4}, {"abuse.pow_max_bits", 12}}});
    auto a = client_from(c.node(0), "127.0.0.81");
    auto b = client_from(c.node(1), "127.0.0.82");
    auto a_again = client_from(c.node(1), "127.0.0.81");

    // A proof of node 0's challenge is no proof on node 1, even for the same address.
    const json a_proof = proof_of(a.history().front());
    a_again.send_json({{"type", "join"}, {"mode", "text"}, {"proof", a_proof}});
    expect_error(a_again, "invalid_proof", "join");
    a_again.send_json(join_message("text"));
    expect_error(a_again, "invalid_proof", "join");

    // Valid proofs on their own nodes: the two meet across nodes.
    a.send_json({{"type", "join"}, {"mode", "text"}, {"proof", a_proof}});
    const json waiting = expect_type(a, "waiting");
    b.send_json({{"type", "join"}, {"mode", "text"}, {"proof", proof_of(b.history().front())}});
    expect_type(b, "waiting");
    expect_pairing(a, b);

    // Again on its node: refused (the challenge in force is the one
    // `waiting` gave); a proof of that one is taken.
    a.send_json({{"type", "next"}, {"proof", a_proof}});
    expect_error(a, "invalid_proof", "next");
    a.send_json({{"type", "next"}, {"proof", proof_of(waiting)}});
    expect_type(a, "waiting");
    expect_type(b, "partner_left");
    wait_for_sample(c.node(0), "onymous_proofs_total", {{"result", "verified"}}, 2);
    wait_for_sample(c.node(1), "onymous_proofs_total", {{"result", "verified"}}, 1);
    wait_for_sample(c.node(0), "onymous_errors_total", {{"code", "invalid_proof"}}, 1);
    wait_for_sample(c.node(1), "onymous_errors_total", {{"code", "invalid_proof"}}, 2);
    finish(c.node(0));
    finish(c.node(1));
}

TEST_CASE("the skip throttle counts a client's next on every node",
          "[cluster_abuse][cluster_abuse_test][cluster]") {
    cluster c({.nodes = 2, .extra = {{"abuse.skips_per_minute", 2}}});
    daemon_process& a = c.node(0);
    daemon_process& b = c.node(1);
    {
        auto client = client_from(a, "127.0.0.51");
        join(client);
        for (int i = 0; i < 2; ++i) {
            client.send_json({{"type", "next"}});
            expect_type(client, "waiting");
        }
    }
    wait_for_sample(b, "onymous_cluster_abuse_events_total", {{"direction", "received"}}, 2);

    // On node b, its third next of the minute is refused, and the refusals
    // double as on one node.
    auto client = client_from(b, "127.0.0.51");
    join(client);
    client.send_json({{"type", "next"}});
    const auto first = expect_retry_after(client, "rate_limited", "next");
    CHECK(first > 0);
    CHECK(first <= 60'000);
    client.send_json({{"type", "next"}});
    CHECK(expect_retry_after(client, "rate_limited", "next") == 2 * first);
    // It leaves the pool (a refused next keeps it waiting), so that the
    // next client waits alone.
    client.send_json({{"type", "leave"}});
    expect_type(client, "left");
    // Another address on node b has its own minute.
    auto other = client_from(b, "127.0.0.52");
    join(other);
    other.send_json({{"type", "next"}});
    expect_type(other, "waiting");
    finish(a);
    finish(b);
}

TEST_CASE("a node that starts later learns who is shadowed from Redis",
          "[cluster_abuse][cluster_abuse_test][cluster]") {
    cluster c({.nodes = 1, .extra = shadow_settings});
    daemon_process& a = c.node(0);
    {
        auto target = client_from(a, "127.0.0.61");
        for (const auto* source : {"127.0.0.62", "127.0.0.63", "127.0.0.64"}) {
            auto reporter = client_from(a, source);
            report_once(target, reporter);
        }
    }
    wait_for_sample(a, "onymous_addresses_shadowed", {}, 1);
    // Published, and so (in order on one connection) logged.
    wait_for_sample(a, "onymous_cluster_abuse_events_total", {{"direction", "sent"}}, 3);
    // The log in Redis holds the three reports as hashes, nothing else.
    const std::string log = c.redis.cli({"ZRANGE", "test:abuse:reports", "0", "-1"});
    CHECK(std::count(log.begin(), log.end(), ':') == 3);
    CHECK(log.find("127.0.0") == std::string::npos);

    daemon_process& late = c.start_node();
    c.await_connected();
    wait_for_sample(late, "onymous_addresses_shadowed", {}, 1);

    // On the new node, the shadowed address meets no one unflagged.
    auto target = client_from(late, "127.0.0.61");
    auto u1 = client_from(late, "127.0.0.71");
    auto u2 = client_from(a, "127.0.0.72");
    require_passed_by(c, target, u1, u2);
    finish(a);
    finish(late);
}
