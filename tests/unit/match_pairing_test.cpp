// What the matcher tells both sides of a pairing, and when: partner_left
// with the right pair id, tickets, roles, common interests; plus how next,
// join and the counters behave. One thread, manual clock, fixed seed.

#include "match_support.hpp"

#include <catch2/catch.hpp>

namespace onymous::match::test {
namespace {

using strings = std::vector<std::string>;

TEST_CASE("matcher ends a pairing on next: partner_left, and the leaver waits again", "[match]") {
    world w;
    client a(w), b(w), c(w);
    a.join();
    b.join();
    REQUIRE(just_paired(a, b));
    a.next();
    REQUIRE(b.events().size() == 2);
    CHECK_FALSE(b.last().matched);
    CHECK(b.last().pair.pair_id == 1);
    CHECK(a.events().size() == 1);
    c.join();  // b is idle now: only a waits
    REQUIRE(just_paired(a, c));
    CHECK(a.last().pair.pair_id == 2);
    CHECK(b.events().size() == 2);
}

TEST_CASE("matcher ends a pairing on leave: partner_left, nobody waits", "[match]") {
    world w;
    client a(w), b(w), c(w), d(w);
    c.join();
    d.join();  // pair 1
    a.join();
    b.join();  // pair 2
    REQUIRE(just_paired(a, b));
    CHECK(a.last().pair.pair_id == 2);
    a.leave();
    REQUIRE(b.events().size() == 2);
    CHECK_FALSE(b.last().matched);
    CHECK(b.last().pair.pair_id == 2);
    CHECK(a.events().size() == 1);
    client e(w);
    e.join();
    CHECK(e.events().empty());
}

TEST_CASE("matcher ends a pairing on detach: partner_left", "[match]") {
    world w;
    client b(w);
    {
        client a(w);
        a.join();
        b.join();
        REQUIRE(just_paired(a, b));
    }  // detached
    REQUIRE(b.events().size() == 2);
    CHECK_FALSE(b.last().matched);
    CHECK(b.last().pair.pair_id == 1);
}

TEST_CASE("matcher delivers a decision to a member detached in the same operation", "[match]") {
    // The detach finds a deadline due: it is applied first and pairs the
    // detaching member, whose detach then ends that pairing. Its peer (held
    // by nobody else) must live until the decision has been delivered.
    struct counted_peer : recording_peer {
        explicit counted_peer(int& destroyed) : destroyed_(destroyed) {}
        ~counted_peer() override { ++destroyed_; }
        int& destroyed_;
    };
    world w;
    client music(w);
    int destroyed = 0;  // no weak_ptr: ASan must see the memory itself freed
    matchmaker::handle* leaving = w.get().attach(std::make_shared<counted_peer>(destroyed));
    music.join(chat_mode::video, {"music"});
    w.get().join(leaving, 1, chat_mode::video, {});
    w.advance(5s);
    w.get().detach(leaving);
    REQUIRE(music.events().size() == 2);
    CHECK(music.events()[0].matched);
    CHECK_FALSE(music.last().matched);
    CHECK(music.last().pair.pair_id == music.events()[0].pair.pair_id);
    CHECK(destroyed == 1);
}

TEST_CASE("matcher echoes each side's latest ticket", "[match]") {
    world w;
    client a(w), b(w);
    a.join();
    a.next();
    a.next();
    b.join();
    REQUIRE(just_paired(a, b));
    CHECK(a.last().pair.ticket == 3);
    CHECK(b.last().pair.ticket == 1);
    b.leave();  // ticket 2
    a.leave();  // ticket 4
    b.join();   // ticket 3
    a.join();   // ticket 5; the cooldown keeps them apart
    client c(w);
    c.join();
    REQUIRE(c.last().matched);
    const bool with_a = c.partner() == a.as_peer();
    CHECK((with_a ? a : b).last().pair.ticket == (with_a ? 5u : 3u));
}

TEST_CASE("matcher makes exactly one side the offerer", "[match]") {
    world w;
    int a_offered = 0;
    for (int i = 0; i < 64; ++i) {
        client a(w), b(w);
        a.join();
        b.join();
        REQUIRE(just_paired(a, b));
        CHECK(a.last().pair.role != b.last().pair.role);
        if (a.last().pair.role == role::offerer) ++a_offered;
    }
    // Random, not always the newcomer nor always the waiter (fairness is
    // measured in match_uniformity_test.cpp).
    CHECK(a_offered > 0);
    CHECK(a_offered < 64);
}

TEST_CASE("matcher reports common interests in each side's own order", "[match]") {
    world w;
    client a(w), b(w);
    a.join(chat_mode::text, {"x", "y", "z"});
    b.join(chat_mode::text, {"z", "q", "x"});
    REQUIRE(just_paired(a, b));
    CHECK(a.last().pair.common_interests == strings{"x", "z"});
    CHECK(b.last().pair.common_interests == strings{"z", "x"});
}

TEST_CASE("matcher queues next from idle with the last join's preferences", "[match]") {
    world w;
    client a(w), video(w), text(w);
    a.join(chat_mode::text, {"music"});
    a.leave();
    a.next();
    video.join(chat_mode::video, {"music"});
    CHECK(a.events().empty());
    text.join(chat_mode::text, {"music"});
    REQUIRE(just_paired(a, text));
    CHECK(a.last().pair.common_interests == strings{"music"});
    CHECK(a.last().pair.ticket == 3);
}

TEST_CASE("matcher ignores next before any join", "[match]") {
    world w;
    client a(w), b(w);
    a.next();
    b.join();
    CHECK(a.events().empty());
    CHECK(b.events().empty());
}

TEST_CASE("matcher ignores a join that is not from idle, ticket included", "[match]") {
    world w;
    client a(w), b(w);
    a.join(chat_mode::text);
    a.join(chat_mode::video);  // the session answers bad_state; the matcher keeps text
    b.join(chat_mode::text);
    REQUIRE(just_paired(a, b));
    CHECK(a.last().pair.ticket == 1);
}

TEST_CASE("matcher keeps its counters up to date", "[match]") {
    world w;
    client a(w), b(w), c(w);
    const matcher_stats& s = w.get().stats();
    CHECK(s.operations_total == 3);  // the attaches
    a.join(chat_mode::text);
    c.join(chat_mode::video);
    CHECK(s.waiting_text == 1);
    CHECK(s.waiting_video == 1);
    b.join(chat_mode::text);
    CHECK(s.waiting_text == 0);
    CHECK(s.paired_sessions == 2);
    CHECK(s.pairings_total == 1);
    a.leave();
    CHECK(s.paired_sessions == 0);
    CHECK(s.pairings_total == 1);
    CHECK(s.operations_total == 7);
}

}  // namespace
}  // namespace onymous::match::test
