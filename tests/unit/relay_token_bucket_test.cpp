// The pure limits of relay/ and the error budget, on a manual clock: the
// token bucket's exact refill, the per-pairing caps, and the budget's
// bounded window.

#include <onymous/relay/pair_caps.hpp>
#include <onymous/relay/token_bucket.hpp>
#include <onymous/session/error_budget.hpp>

#include <catch2/catch.hpp>

using namespace onymous;
using namespace std::chrono_literals;
using relay::token_bucket;
using time_point = token_bucket::time_point;

namespace {

/// Takes every token there is at `now`.
int drain(token_bucket& b, time_point now) {
    int n = 0;
    while (b.try_take(now)) ++n;
    return n;
}

protocol::candidate_message candidate(std::string text) {
    protocol::candidate_message m;
    m.candidate = protocol::ice_candidate{};
    m.candidate->candidate = std::move(text);
    return m;
}

}  // namespace

TEST_CASE("a token bucket starts full and holds at most its burst", "[relay][bucket]") {
    const time_point t0{};
    token_bucket b(10, 4, t0);
    CHECK(drain(b, t0) == 4);
    CHECK(b.available(t0 + 1h) == 4);
    // Days of silence at the highest rate neither overflow nor overfill.
    token_bucket fast(token_bucket::max_value, token_bucket::max_value, t0);
    CHECK(drain(fast, t0) == 1'000'000);
    CHECK(fast.available(t0 + 24h * 3650) == token_bucket::max_value);
}

TEST_CASE("a token bucket refills exactly, to the nanosecond", "[relay][bucket]") {
    const time_point t0{};
    token_bucket b(3, 10, t0);
    REQUIRE(drain(b, t0) == 10);
    // One token every 1/3 s: 333'333'333 ns is not quite one, 333'333'334 is.
    CHECK_FALSE(b.try_take(t0 + 333'333'333ns));
    CHECK(b.try_take(t0 + 333'333'334ns));
    CHECK_FALSE(b.try_take(t0 + 666'666'666ns));
    CHECK(b.try_take(t0 + 666'666'667ns));
}

TEST_CASE("small refill steps add up to exactly what one large step gives", "[relay][bucket]") {
    const time_point t0{};
    token_bucket stepped(7, 1000, t0);
    token_bucket once(7, 1000, t0);
    REQUIRE(drain(stepped, t0) == 1000);
    REQUIRE(drain(once, t0) == 1000);
    // 7 tokens per second over 13 s in steps of 1 ms: no rounding lost.
    int taken = 0;
    for (auto t = t0 + 1ms; t <= t0 + 13s; t += 1ms) taken += drain(stepped, t);
    CHECK(taken == 91);
    CHECK(drain(once, t0 + 13s) == 91);
    // And 999 ms at 3/s is 2.997 tokens: two, the third 1 ms later.
    token_bucket slow(3, 5, t0);
    REQUIRE(drain(slow, t0) == 5);
    CHECK(drain(slow, t0 + 333ms) + drain(slow, t0 + 666ms) + drain(slow, t0 + 999ms) == 2);
    CHECK(drain(slow, t0 + 1000ms) == 1);
}

TEST_CASE("a token bucket ignores a clock that goes back", "[relay][bucket]") {
    const time_point t0 = time_point{} + 10s;
    token_bucket b(1, 1, t0);
    REQUIRE(b.try_take(t0));
    CHECK_FALSE(b.try_take(t0 - 5s));
    CHECK_FALSE(b.try_take(t0 + 999ms));
    CHECK(b.try_take(t0 + 1s));
}

TEST_CASE("pair caps count offers and answers together, candidates apart", "[relay][caps]") {
    relay::pair_caps caps(2, 3);
    const protocol::sdp_message offer{protocol::sdp_kind::offer, "v=0\r\n"};
    const protocol::sdp_message answer{protocol::sdp_kind::answer, "v=0\r\n"};
    CHECK(caps.admit(offer));
    CHECK(caps.admit(answer));
    CHECK_FALSE(caps.admit(offer));
    CHECK_FALSE(caps.admit(answer));
    CHECK(caps.offers() == 2);  // refusals are not counted
    for (int i = 0; i < 3; ++i) {
        CHECK(caps.admit(candidate("candidate:1 1 udp 1 192.0.2.1 9 typ host")));
        // End-of-candidates, null or "", is never counted nor refused.
        CHECK(caps.admit(protocol::candidate_message{}));
        CHECK(caps.admit(candidate("")));
    }
    CHECK_FALSE(caps.admit(candidate("candidate:2 1 udp 1 192.0.2.1 9 typ host")));
    CHECK(caps.admit(protocol::candidate_message{}));
    CHECK(caps.candidates() == 3);
    caps.start_pairing();
    CHECK(caps.admit(offer));
    CHECK(caps.admit(candidate("candidate:1 1 udp 1 192.0.2.1 9 typ host")));
    CHECK(caps.offers() == 1);
    CHECK(caps.candidates() == 1);
}

TEST_CASE("the error budget is spent by the error that reaches it", "[session][budget]") {
    const time_point t0 = time_point{} + 100s;
    session::error_budget budget(3, 10s);
    CHECK_FALSE(budget.spend(t0));
    CHECK_FALSE(budget.spend(t0 + 5s));
    CHECK(budget.spend(t0 + 9999ms));  // all three within 10 s
}

TEST_CASE("the error budget counts every error of the last 10 s, none past 10.5 s",
          "[session][budget]") {
    const time_point t0 = time_point{} + 100s;
    SECTION("errors older than the window and its last slot are forgotten") {
        session::error_budget budget(3, 10s);
        CHECK_FALSE(budget.spend(t0));
        CHECK_FALSE(budget.spend(t0 + 1s));
        CHECK_FALSE(budget.spend(t0 + 10500ms));  // the first is gone
        CHECK(budget.counted() == 2);
        CHECK(budget.spend(t0 + 11s));  // the second is not yet
    }
    SECTION("a long silence forgets everything") {
        session::error_budget budget(3, 10s);
        CHECK_FALSE(budget.spend(t0));
        CHECK_FALSE(budget.spend(t0));
        CHECK_FALSE(budget.spend(t0 + 1h));
        CHECK(budget.counted() == 1);
    }
}

TEST_CASE("the error budget's memory does not grow with max_errors", "[session][budget]") {
    STATIC_REQUIRE(sizeof(session::error_budget) <= 256);
    const time_point t0{};
    session::error_budget budget(1'000'000, 10s);
    int spent_early = 0;
    for (int i = 1; i < 1'000'000; ++i)
        spent_early += budget.spend(t0 + std::chrono::microseconds(i));
    CHECK(spent_early == 0);
    CHECK(budget.spend(t0 + 1s));
}
