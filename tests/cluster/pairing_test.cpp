// Cluster mode (issue 18): strangers on different nodes meet through the
// pool in Redis and relay in order, and every rule of single-node matching
// holds across nodes (PROTOCOL.md, Matching; docs/architecture.md, Cluster
// mode).

#include "cluster_fixture.hpp"
#include "lifecycle.hpp"

#include <map>
#include <set>

using namespace onymous::test;

namespace {

/// Requires that `client` has nothing queued: a ping is answered by the
/// next message. (The pool's decisions for it were taken before ours.)
void require_quiet(ws_client& client) { ping_pong(client); }

}  // namespace

TEST_CASE("clients on two nodes are paired and relay in order, both ways",
          "[cluster_pairing][cluster_pairing_test][cluster]") {
    cluster c({.nodes = 2});
    auto a = open_on(c.node(0));
    auto b = open_on(c.node(1));
    const auto pairing = pair(a, b);
    ws_client& offerer = pairing.offerer(a, b);
    ws_client& answerer = pairing.answerer(a, b);

    const auto sdp = text_sdp("cross");
    offerer.send_json(offer_message(sdp));
    expect_message(answerer, offer_message(sdp));
    answerer.send_json(answer_message(text_sdp("back")));
    expect_message(offerer, answer_message(text_sdp("back")));
    // Many at once, both ways: each side receives the other's in order.
    for (int i = 0; i < 50; ++i) {
        offerer.send_json(candidate_message(candidate_init("o" + std::to_string(i), i + 1)));
        answerer.send_json(candidate_message(candidate_init("a" + std::to_string(i), i + 1)));
    }
    for (int i = 0; i < 50; ++i) {
        expect_message(answerer, candidate_message(candidate_init("o" + std::to_string(i), i + 1)));
        expect_message(offerer, candidate_message(candidate_init("a" + std::to_string(i), i + 1)));
    }
    // 2 x (offer or answer, 50 candidates), plus matched from the claimer.
    const auto published = *metric(c.node(0), "onymous_cluster_link_messages_total") +
                           *metric(c.node(1), "onymous_cluster_link_messages_total");
    REQUIRE(published == 2 * 51 + 1);
    // Next on one node: partner_left on the other.
    offerer.send_json({{"type", "next"}});
    expect_type(offerer, "waiting");
    expect_type(answerer, "partner_left");
    for (auto& n : c.nodes) finish(*n);
}

TEST_CASE("300 clients over three nodes, joining at once, are all paired exactly once",
          "[cluster_crowd][cluster_pairing_test][cluster]") {
    cluster c;
    constexpr int count = 300;
    std::vector<ws_client> clients;
    clients.reserve(count);
    for (int i = 0; i < count; ++i) clients.push_back(open_on(c.node(i % 3)));
    for (auto& client : clients) client.send_json(join_message("text"));
    for (auto& client : clients) expect_type(client, "waiting");

    // Every offerer names itself in its offer; its partner must be the only
    // one to receive it.
    std::vector<bool> offers(count, false);
    for (int i = 0; i < count; ++i) {
        const auto matched = expect_type(clients[i], "matched", 20s);
        offers[i] = matched["role"] == "offerer";
        if (offers[i]) clients[i].send_json(offer_message(text_sdp(std::to_string(i))));
    }
    REQUIRE(std::count(offers.begin(), offers.end(), true) == count / 2);
    std::set<std::string> seen;
    std::size_t cross_node = 0;
    for (int i = 0; i < count; ++i) {
        if (offers[i]) continue;
        const auto offer = expect_type(clients[i], "offer");
        const std::string sdp = offer["sdp"];
        REQUIRE(seen.insert(sdp).second);
        for (int j = 0; j < count; ++j)
            if (offers[j] && sdp == text_sdp(std::to_string(j)) && j % 3 != i % 3) ++cross_node;
    }
    REQUIRE(seen.size() == count / 2);
    // How many pairs crossed nodes depends on how each node's burst of
    // joins interleaves in Redis; uniformity is the chi-square test's.
    INFO(cross_node << " pairs across nodes");
    // Nobody was matched twice.
    for (auto& client : clients) require_quiet(client);
    for (auto& n : c.nodes) finish(*n);
}

TEST_CASE("modes and interests hold across nodes",
          "[cluster_rules][cluster_pairing_test][cluster]") {
    cluster c;
    auto cats = open_on(c.node(0));
    join(cats, "text", {"cats"});
    auto video = open_on(c.node(1));
    join(video, "video");
    auto dogs = open_on(c.node(2));
    join(dogs, "text", {"dogs"});
    auto cats_too = open_on(c.node(1));
    join(cats_too, "text", {"birds", "cats"});
    const auto cat_pairing = expect_pairing(cats, cats_too);
    REQUIRE(cat_pairing.a_matched["interests"] == json::array({"cats"}));
    REQUIRE(cat_pairing.b_matched["interests"] == json::array({"cats"}));
    // The others were left alone by those pairings: each still waits for
    // its own kind, on yet another node.
    auto video_too = open_on(c.node(0));
    join(video_too, "video");
    expect_pairing(video, video_too);
    auto dogs_too = open_on(c.node(0));
    join(dogs_too, "text", {"dogs"});
    REQUIRE(expect_pairing(dogs, dogs_too).a_matched["interests"] == json::array({"dogs"}));
    for (auto& n : c.nodes) finish(*n);
}

TEST_CASE("the re-match cooldown holds across nodes",
          "[cluster_cooldown][cluster_pairing_test][cluster]") {
    cluster c({.nodes = 3, .rematch_cooldown = "60s"});
    auto a = open_on(c.node(0));
    auto b = open_on(c.node(1));
    pair(a, b);
    a.send_json({{"type", "next"}});
    expect_type(a, "waiting");
    expect_type(b, "partner_left");
    b.send_json({{"type", "next"}});
    expect_type(b, "waiting");
    // a and b now wait together but may not meet again: two newcomers, one
    // after the other, take one each.
    auto third = open_on(c.node(2));
    join(third, "text");
    expect_type(third, "matched");
    auto fourth = open_on(c.node(2));
    join(fourth, "text");
    expect_type(fourth, "matched");
    expect_type(a, "matched");
    expect_type(b, "matched");
    a.send_json(candidate_message(candidate_init("froma")));
    b.send_json(candidate_message(candidate_init("fromb")));
    std::set<json> heard{expect_type(third, "candidate")["candidate"],
                         expect_type(fourth, "candidate")["candidate"]};
    REQUIRE(heard == std::set<json>{candidate_init("froma"), candidate_init("fromb")});
    for (auto& n : c.nodes) finish(*n);
}
