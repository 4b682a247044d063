// The re-match cooldown and the deadlines the matcher announces through
// options.wake_at, with a manual clock.

#include "match_support.hpp"

#include <catch2/catch.hpp>

namespace onymous::match::test {
namespace {

using times = std::vector<clock::time_point>;

/// a and b paired, then a next at t0+1s, b next right after: both wait.
void pair_then_skip(world& w, client& a, client& b) {
    a.join();
    b.join();
    REQUIRE(just_paired(a, b));
    w.advance(1s);
    a.next();
    b.next();
}

TEST_CASE("matcher does not re-match inside the cooldown, and does after it unaided", "[match]") {
    world w;
    client a(w), b(w);
    pair_then_skip(w, a, b);
    CHECK(a.events().size() == 1);
    REQUIRE(b.events().size() == 2);
    CHECK_FALSE(b.last().matched);
    CHECK(w.wakes() == times{world::epoch() + 31s});

    w.advance(29999ms);
    w.poll();
    CHECK(a.events().size() == 1);
    CHECK(b.events().size() == 2);

    w.advance(1ms);
    w.poll();
    REQUIRE(just_paired(a, b));
    CHECK(a.last().pair.pair_id == 2);
}

TEST_CASE("matcher records the cooldown when a pairing ends by leave", "[match]") {
    world w;
    client a(w), b(w);
    a.join();
    b.join();
    REQUIRE(just_paired(a, b));
    a.leave();
    a.join();
    b.next();
    CHECK(a.events().size() == 1);
    CHECK(b.events().size() == 2);
}

TEST_CASE("matcher records the cooldown on both sides", "[match]") {
    world w;
    client a(w), b(w), c(w);
    pair_then_skip(w, a, b);
    // A third waiter is no one's recent partner: it takes one of them.
    c.join();
    REQUIRE(c.last().matched);
    const bool with_a = c.partner() == a.as_peer();
    REQUIRE(just_paired(c, with_a ? a : b));
}

TEST_CASE("matcher with a cooldown of 0 re-matches at once", "[match]") {
    world w(5s, 0ms);
    client a(w), b(w);
    pair_then_skip(w, a, b);
    REQUIRE(just_paired(a, b));
    CHECK(a.last().pair.pair_id == 2);
    CHECK(w.wakes().empty());
}

TEST_CASE("matcher's cooldown memory ends with the session", "[match]") {
    world w;
    client b(w);
    {
        client a(w);
        a.join();
        b.join();
        REQUIRE(just_paired(a, b));
    }
    // A new session is a new member, whoever is behind it.
    client fresh(w);
    b.next();
    fresh.join();
    REQUIRE(just_paired(b, fresh));
}

TEST_CASE("matcher forgets the oldest partner once its memory is full", "[match]") {
    const auto scenario = [](std::size_t memory) {
        world w(5s, 30s, memory);
        client a(w), b(w), c(w), d(w);
        a.join();
        b.join();  // pair 1: a-b
        a.leave();
        b.leave();
        a.join();
        c.join();  // pair 2: a-c
        b.join();
        d.join();  // pair 3: b-d
        a.leave();
        b.leave();
        a.join();
        b.join();
        return just_paired(a, b);
    };
    // With one entry each, both have forgotten the other: they may meet again.
    CHECK(scenario(1));
    CHECK_FALSE(scenario(2));
}

TEST_CASE("matcher keeps a cooldown that only one side still remembers", "[match]") {
    world w(5s, 30s, 1);
    client a(w), b(w), c(w);
    a.join();
    b.join();  // pair 1: a-b
    a.leave();
    b.leave();
    a.join();
    c.join();  // pair 2: a-c; a's only memory is now c, b still remembers a
    a.leave();
    c.leave();
    b.join();
    a.join();                       // a looks for a partner: its own memory says nothing of b
    CHECK(a.events().size() == 2);  // matched twice
    CHECK(b.events().size() == 2);  // matched, partner_left
    w.advance(30s);
    w.poll();
    REQUIRE(just_paired(a, b));
}

TEST_CASE("matcher announces the earliest deadline through wake_at", "[match]") {
    world w(10s, 3s);
    client m(w), a(w), b(w), late(w);
    m.join(chat_mode::video, {"music"});
    CHECK(w.wakes() == times{world::epoch() + 10s});

    // A later deadline is not announced while an earlier one is pending.
    w.advance(1s);
    late.join(chat_mode::text, {"chess"});
    CHECK(w.wakes() == times{world::epoch() + 10s});

    // An earlier one is: a cooldown blocking two waiters ends at t0+4s.
    a.join(chat_mode::text);
    b.join(chat_mode::text);
    REQUIRE(just_paired(a, b));
    a.next();
    b.next();
    CHECK(w.wakes() == times{world::epoch() + 10s, world::epoch() + 4s});

    w.advance(3s);
    w.poll();
    REQUIRE(just_paired(a, b));
    // The announced deadline has passed: the next one (m's window) is told again.
    CHECK(w.wakes() == times{world::epoch() + 10s, world::epoch() + 4s, world::epoch() + 10s});

    m.leave();  // the earliest is now late's window, later than announced: nothing
    CHECK(w.wakes().size() == 3);
    w.advance(6s);
    w.poll();  // t0+10s: the announced time passed, late's window (t0+11s) is next
    CHECK(w.wakes().back() == world::epoch() + 11s);
    CHECK(w.wakes().size() == 4);
}

TEST_CASE("matcher announces the earliest deadline again on every poll", "[match]") {
    // An operation at t0+5s applies music's window end and announces chess's
    // (t0+6s) while the daemon's timer for t0+5s may not have fired yet; a
    // daemon keeping only its earliest timer ignores the later time. The poll
    // that timer makes must therefore announce t0+6s again.
    world w;
    client music(w), chess(w), other(w);
    music.join(chat_mode::video, {"music"});
    w.advance(1s);
    chess.join(chat_mode::video, {"chess"});
    w.advance(4s);
    other.join(chat_mode::text);
    CHECK(w.wakes() == times{world::epoch() + 5s, world::epoch() + 6s});
    w.poll();
    CHECK(w.wakes() == times{world::epoch() + 5s, world::epoch() + 6s, world::epoch() + 6s});
}

TEST_CASE("matcher announces nothing when no deadline is pending", "[match]") {
    world w;
    client a(w), b(w), c(w);
    a.join();
    b.join();
    c.join(chat_mode::text);
    w.poll();
    CHECK(w.wakes().empty());
}

TEST_CASE("matcher applies due deadlines before any operation, not only poll", "[match]") {
    world w;
    client music(w), chess(w), other(w);
    music.join(chat_mode::video, {"music"});
    chess.join(chat_mode::video, {"chess"});
    w.advance(5s);
    // No poll(): the next operation, whatever it is, runs the due deadlines
    // first, and pairs the two before the newcomer is considered.
    other.join(chat_mode::text);
    REQUIRE(just_paired(music, chess));
    CHECK(other.events().empty());
}

}  // namespace
}  // namespace onymous::match::test
