// The skip throttle (abuse/skip_throttle) on a manual clock: the limit per
// minute, retryAfterMs that doubles on each further refusal, the cap, a
// client that waits as told, per address, off at 0, bounded memory.

#include <onymous/abuse/skip_throttle.hpp>

#include <catch2/catch.hpp>

using namespace onymous::abuse;
using namespace std::chrono_literals;
using time_point = skip_throttle::time_point;

namespace {

const time_point t0 = time_point{} + 1h;
constexpr skip_decision allowed{};

skip_decision refused(milliseconds retry) { return {false, retry}; }

}  // namespace

TEST_CASE("more than the limit within a minute is refused, doubling each time", "[abuse][skips]") {
    skip_window w;
    CHECK(w.on_next(3, t0) == allowed);
    CHECK(w.on_next(3, t0 + 1s) == allowed);
    CHECK(w.on_next(3, t0 + 2s) == allowed);
    CHECK(w.recent_skips(t0 + 2s) == 3);
    // The fourth: what is left of the minute, then twice the last each time.
    CHECK(w.on_next(3, t0 + 10s) == refused(50s));
    CHECK(w.on_next(3, t0 + 11s) == refused(100s));
    CHECK(w.on_next(3, t0 + 12s) == refused(200s));
    CHECK(w.on_next(3, t0 + 13s) == refused(400s));
    CHECK(w.on_next(3, t0 + 14s) == refused(600s));  // max_retry
    CHECK(w.on_next(3, t0 + 15s) == refused(600s));
    CHECK(w.refusals == 6);
    // Blocked until the last refusal's retry has passed, then a new minute.
    CHECK(w.on_next(3, t0 + 15s + 600s - 1ms) == refused(600s));
    const time_point free = t0 + 15s + 600s - 1ms + 600s;
    CHECK_FALSE(w.idle(free - 1ms));
    CHECK(w.idle(free));
    CHECK(w.on_next(3, free) == allowed);
    CHECK(w.refusals == 0);
    CHECK(w.recent_skips(free) == 1);
    CHECK(w.recent_skips(free + 1min) == 0);
}

TEST_CASE("a client that waits as told is not refused again", "[abuse][skips]") {
    skip_window w;
    for (int i = 0; i < 30; ++i) REQUIRE(w.on_next(30, t0 + std::chrono::seconds(i)) == allowed);
    const skip_decision d = w.on_next(30, t0 + 40s);
    CHECK(d == refused(20s));
    CHECK(w.on_next(30, t0 + 40s + d.retry_after) == allowed);
    // A sub-millisecond remainder rounds up, never to 0.
    skip_window edge;
    REQUIRE(edge.on_next(1, t0) == allowed);
    CHECK(edge.on_next(1, t0 + 1min - 1ns) == refused(1ms));
}

TEST_CASE("the throttle counts per address, and 0 turns it off", "[abuse][skips]") {
    skip_throttle throttle(2, 1024);
    CHECK(throttle.on_next(1, t0) == allowed);
    CHECK(throttle.on_next(1, t0) == allowed);
    CHECK(throttle.on_next(1, t0 + 30s) == refused(30s));
    CHECK(throttle.on_next(2, t0 + 30s) == allowed);  // another address
    CHECK(throttle.on_next(1, t0 + 31s) == refused(60s));
    CHECK(throttle.recent_skips(1, t0 + 31s) == 2);
    CHECK(throttle.recent_skips(2, t0 + 31s) == 1);
    CHECK(throttle.recent_skips(3, t0 + 31s) == 0);
    CHECK(throttle.tracked() == 2);
    // Once minute and block are over, the address is forgotten: 2's minute
    // ends at 90 s, 1's block at 91 s.
    throttle.sweep(t0 + 90s);
    CHECK(throttle.tracked() == 1);
    CHECK(throttle.recent_skips(1, t0 + 90s) == 0);
    throttle.sweep(t0 + 91s);
    CHECK(throttle.tracked() == 0);

    throttle.set_limit(0);
    for (int i = 0; i < 100; ++i) CHECK(throttle.on_next(1, t0) == allowed);
    CHECK(throttle.tracked() == 0);
    skip_window off;
    CHECK(off.on_next(0, t0) == allowed);
    CHECK(off.skips == 0);
}

TEST_CASE("the throttle holds at most max_tracked addresses", "[abuse][skips]") {
    skip_throttle throttle(1, 3);
    for (std::uint64_t a = 0; a < 10; ++a) CHECK(throttle.on_next(a, t0) == allowed);
    CHECK(throttle.tracked() == 3);
    // The least recently seen went first: 7, 8 and 9 are still counted.
    CHECK(throttle.on_next(9, t0 + 1s) == refused(59s));
    CHECK(throttle.on_next(0, t0 + 1s) == allowed);
}
