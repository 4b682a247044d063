// cluster/pool.hpp without Redis: the arguments of each operation, the
// replies that are understood, and the keyed hashes (pool.lua's side is
// tests/redis/pool_script_test.cpp, against a real Redis).

#include <onymous/cluster/pool.hpp>

#include "redis/reply.hpp"

#include <catch2/catch.hpp>

using namespace onymous;
using cluster::parse_pool_answer;
using redis::reply;

namespace {

reply text(std::string t) { return {reply::kind::string, std::move(t), 0, {}}; }
reply number(long long n) { return {reply::kind::integer, {}, n, {}}; }
reply array(std::vector<reply> e) { return {reply::kind::array, {}, 0, std::move(e)}; }

}  // namespace

TEST_CASE("pool answers: queued, gone and paired are read; anything else is refused",
          "[cluster_pool]") {
    REQUIRE(parse_pool_answer(array({text("queued")}))->what == cluster::pool_answer::kind::queued);
    REQUIRE(parse_pool_answer(array({text("gone")}))->what == cluster::pool_answer::kind::gone);

    const auto paired = parse_pool_answer(array({text("paired"), number(12), text("m"), text("n"),
                                                 text("9"), text("offerer"), text("h1")}));
    REQUIRE(paired);
    CHECK(paired->partner.pair_id == 12);
    CHECK(paired->partner.member == "m");
    CHECK(paired->partner.node == "n");
    CHECK(paired->partner.ticket == 9);
    CHECK(paired->partner.caller_role == protocol::role::offerer);
    CHECK(paired->partner.common_hashes == std::vector<std::string>{"h1"});

    CHECK_FALSE(parse_pool_answer(text("queued")));
    CHECK_FALSE(parse_pool_answer(array({})));
    CHECK_FALSE(parse_pool_answer(array({text("queued"), text("x")})));
    CHECK_FALSE(
        parse_pool_answer(array({text("paired"), number(1), text("m"), text("n"), text("9")})));
    CHECK_FALSE(parse_pool_answer(
        array({text("paired"), number(-1), text("m"), text("n"), text("9"), text("offerer")})));
    CHECK_FALSE(parse_pool_answer(
        array({text("paired"), number(1), text("m"), text("n"), text("9x"), text("offerer")})));
    CHECK_FALSE(parse_pool_answer(
        array({text("paired"), number(1), text("m"), text("n"), text("9"), text("boss")})));
    CHECK_FALSE(parse_pool_answer({reply::kind::error, "ERR boom", 0, {}}));
}

TEST_CASE("join arguments, in pool.lua's order", "[cluster_pool]") {
    cluster::join_request r;
    r.member = "m";
    r.node = "n";
    r.mode = protocol::chat_mode::video;
    r.joined_ms = 1;
    r.now_ms = 2;
    r.window_ms = 3;
    r.ticket = 4;
    r.random = ~std::uint64_t{0};  // held to what a Lua number holds exactly
    r.ttl_ms = 5;
    r.hash_key = std::string(1, 'k');
    r.interest_hashes = {"h1", "h2"};
    CHECK(cluster::join_args("p", r) ==
          std::vector<std::string>{"p", "join", "m", "n", "video", "default", "1", "2", "3", "4",
                                   std::to_string(cluster::max_pool_random), "5", "k", "h1", "h2"});
    // The shadow pool is a pool of its own (abuse/shadow_pool.hpp).
    r.pool = "shadow";
    CHECK(cluster::join_args("p", r).at(5) == "shadow");
}

TEST_CASE("interest and cooldown hashes: keyed, and the same in either order", "[cluster_pool]") {
    CHECK(cluster::interest_hash("k1", "cats") == cluster::interest_hash("k1", "cats"));
    CHECK(cluster::interest_hash("k1", "cats") != cluster::interest_hash("k2", "cats"));
    CHECK(cluster::interest_hash("k1", "cats").find("cats") == std::string::npos);
    CHECK(cluster::cooldown_key("p", "k", "a", "b") == cluster::cooldown_key("p", "k", "b", "a"));
    CHECK(cluster::cooldown_key("p", "k", "a", "b").starts_with("p:cd:"));
}
