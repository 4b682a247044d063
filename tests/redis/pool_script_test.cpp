// The cluster's pool (server/cluster/scripts/pool.lua) against a real
// Redis, driven as a node drives it (cluster/pool.hpp): who may meet whom,
// what a claim answers, and what the housekeeping operations leave behind.

#include "client_helpers.hpp"
#include "redis_server.hpp"

#include <onymous/cluster/abuse_sharing.hpp>
#include <onymous/cluster/pool.hpp>

#include "redis/reply.hpp"

#include <string>
#include <vector>

using namespace onymous;
using namespace onymous::test;
using cluster::pool_answer;

namespace {

constexpr std::string_view prefix = "t";
constexpr std::int64_t t0 = 1'000'000;  // a wall clock of our own, in ms

struct pool_fixture {
    redis_server server;
    boost::asio::io_context io;
    redis::connection c{io, server.endpoint(), test_options()};
    redis::script script{std::string(cluster::pool_script())};

    pool_fixture() { connect(io, c); }

    std::optional<redis::reply> run(std::vector<std::string> args) {
        std::optional<std::optional<redis::reply>> result;
        script.run(c, {}, std::move(args),
                   [&](std::optional<redis::reply> r) { result = std::move(r); });
        REQUIRE(run_until(
            io, [&] { return result.has_value(); }, patience));
        REQUIRE(*result);
        INFO("reply: " << (*result)->text);
        REQUIRE_FALSE((*result)->is_error());
        return *result;
    }

    pool_answer join(const std::string& member, const std::string& node,
                     std::vector<std::string> interests = {}, std::int64_t now = t0,
                     std::uint64_t random = 0, protocol::chat_mode mode = protocol::chat_mode::text,
                     std::string pool = "default") {
        cluster::join_request r;
        r.member = member;
        r.node = node;
        r.mode = mode;
        r.pool = std::move(pool);
        r.joined_ms = now;
        r.now_ms = now;
        r.window_ms = 5000;
        r.ticket = 7;
        r.random = random;
        r.ttl_ms = 60000;
        r.hash_key =
            std::string(1, 'k');  // (assigning "k" trips GCC 12's -Wrestrict false positive)
        r.interest_hashes = std::move(interests);
        auto answer = cluster::parse_pool_answer(*run(cluster::join_args(prefix, r)));
        REQUIRE(answer);
        return *answer;
    }

    std::string cli(std::vector<std::string> args) { return server.cli(std::move(args)); }
};

}  // namespace

TEST_CASE("a join claims a waiter of another node, or queues", "[pool_script_test]") {
    pool_fixture p;
    REQUIRE(p.join("a", "n1").what == pool_answer::kind::queued);
    const auto b = p.join("b", "n2", {}, t0, 1);
    REQUIRE(b.what == pool_answer::kind::paired);
    CHECK(b.partner.member == "a");
    CHECK(b.partner.node == "n1");
    CHECK(b.partner.ticket == 7);
    CHECK(b.partner.pair_id == 1);
    // random 1 with one candidate: index 0, coin 1: the caller answers.
    CHECK(b.partner.caller_role == protocol::role::answerer);
    // Both are out of the pool: nothing about them is left.
    CHECK(p.cli({"EXISTS", "t:w:a", "t:w:b"}) == "0");
    CHECK(p.cli({"SCARD", "t:open:text:default"}) == "0");
    CHECK(p.cli({"SCARD", "t:nw:n1"}) == "0");
}

TEST_CASE("modes, interests in their window, cooldowns and suspension decide who is eligible",
          "[pool_script_test]") {
    pool_fixture p;
    REQUIRE(p.join("video", "n1", {}, t0, 0, protocol::chat_mode::video).what ==
            pool_answer::kind::queued);
    REQUIRE(p.join("cats", "n1", {"hc"}).what == pool_answer::kind::queued);
    // No interests: only the open set, where "cats" is not (inside its window).
    REQUIRE(p.join("plain", "n2").what == pool_answer::kind::queued);
    // A shared interest: "cats", with the common hash, whatever the window.
    const auto dog_cat = p.join("dogcat", "n2", {"hd", "hc"});
    REQUIRE(dog_cat.what == pool_answer::kind::paired);
    CHECK(dog_cat.partner.member == "cats");
    CHECK(dog_cat.partner.common_hashes == std::vector<std::string>{"hc"});

    // A pair in its cooldown does not meet again.
    p.cli({"SET", cluster::cooldown_key(prefix, "k", "plain", "again"), "1", "PX", "60000"});
    REQUIRE(p.join("again", "n1").what == pool_answer::kind::queued);
    // A suspended waiter (resume grace) is nobody's candidate.
    p.run(cluster::member_args(prefix, "suspend", "again"));
    REQUIRE(p.join("third", "n3").what == pool_answer::kind::paired);  // takes "plain"
    REQUIRE(p.join("fourth", "n3").what == pool_answer::kind::queued);
    p.run(cluster::member_args(prefix, "unsuspend", "again"));
    const auto back = cluster::parse_pool_answer(
        *p.run(cluster::rematch_args(prefix, "again", t0, 0, 60000, "k")));
    REQUIRE(back);
    REQUIRE(back->what == pool_answer::kind::paired);
    CHECK(back->partner.member == "fourth");
}

TEST_CASE("the shadow pool: flagged waiters meet only flagged ones, on any node",
          "[pool_script_test]") {
    pool_fixture p;
    const auto text = protocol::chat_mode::text;
    REQUIRE(p.join("flagged", "n1", {}, t0, 0, text, "shadow").what == pool_answer::kind::queued);
    REQUIRE(p.join("plain", "n2").what == pool_answer::kind::queued);
    const auto other_plain = p.join("plain2", "n3");
    REQUIRE(other_plain.what == pool_answer::kind::paired);
    CHECK(other_plain.partner.member == "plain");
    const auto other_flagged = p.join("flagged2", "n2", {}, t0, 0, text, "shadow");
    REQUIRE(other_flagged.what == pool_answer::kind::paired);
    CHECK(other_flagged.partner.member == "flagged");
}

TEST_CASE("the cluster's address key: the first offer is kept, a later day replaces it",
          "[pool_script_test]") {
    pool_fixture p;
    redis::script keeper{std::string(cluster::address_key_script())};
    auto offer = [&](const std::string& value, bool adopted) {
        std::optional<std::optional<redis::reply>> result;
        keeper.run(p.c, {"t:abuse:key"}, {value, adopted ? "1" : "0", "60000"},
                   [&](std::optional<redis::reply> r) { result = std::move(r); });
        REQUIRE(run_until(
            p.io, [&] { return result.has_value(); }, patience));
        REQUIRE(*result);
        return (*result)->text;
    };
    const std::string first = "100 " + std::string(32, 'a');
    const std::string other = "100 " + std::string(32, 'b');
    const std::string later = "101 " + std::string(32, 'c');
    CHECK(offer(first, false) == first);
    // Another node's own key, even of a later day, does not replace it:
    // only a holder of the cluster's key turns it forward.
    CHECK(offer(other, false) == first);
    CHECK(offer(later, false) == first);
    CHECK(offer(other, true) == first);  // not a later day
    CHECK(offer(later, true) == later);
    CHECK(p.cli({"GET", "t:abuse:key"}) == later);
    const auto ttl = std::stoll(p.cli({"PTTL", "t:abuse:key"}));
    CHECK(ttl > 0);
    CHECK(ttl <= 60000);
}

TEST_CASE("a waiter whose window ended is open to anyone after a rematch", "[pool_script_test]") {
    pool_fixture p;
    REQUIRE(p.join("cats", "n1", {"hc"}).what == pool_answer::kind::queued);
    REQUIRE(p.join("plain", "n2").what == pool_answer::kind::queued);
    const auto later = cluster::parse_pool_answer(
        *p.run(cluster::rematch_args(prefix, "cats", t0 + 5001, 0, 60000, "k")));
    REQUIRE(later);
    REQUIRE(later->what == pool_answer::kind::paired);
    CHECK(later->partner.member == "plain");
    CHECK(later->partner.common_hashes.empty());
    // A rematch of a waiter the pool no longer has says so.
    const auto gone = cluster::parse_pool_answer(
        *p.run(cluster::rematch_args(prefix, "cats", t0, 0, 60000, "k")));
    REQUIRE(gone);
    CHECK(gone->what == pool_answer::kind::gone);
}

TEST_CASE("leave, purge and expired records", "[pool_script_test]") {
    pool_fixture p;
    REQUIRE(p.join("a", "n1").what == pool_answer::kind::queued);
    CHECK(p.run(cluster::member_args(prefix, "leave", "a"))->integer == 1);
    CHECK(p.run(cluster::member_args(prefix, "leave", "a"))->integer == 0);  // claimed or gone

    REQUIRE(p.join("b", "n1").what == pool_answer::kind::queued);
    REQUIRE(p.join("c", "n1", {"hx"}).what == pool_answer::kind::queued);
    CHECK(p.run(cluster::purge_args(prefix, "n1"))->integer == 2);
    CHECK(p.cli({"EXISTS", "t:w:b", "t:w:c", "t:nw:n1"}) == "0");
    CHECK(p.cli({"SCARD", "t:open:text:default"}) == "0");

    // A record that expired (its node stopped touching it) leaves its set
    // when a join finds it there.
    REQUIRE(p.join("d", "n2").what == pool_answer::kind::queued);
    p.cli({"DEL", "t:w:d"});
    REQUIRE(p.join("e", "n3").what == pool_answer::kind::queued);
    CHECK(p.cli({"SISMEMBER", "t:open:text:default", "d"}) == "0");

    // Pair ids only grow.
    p.run(cluster::raise_pairs_args(prefix, 41));
    REQUIRE(p.join("f", "n1").partner.pair_id == 42);
}
