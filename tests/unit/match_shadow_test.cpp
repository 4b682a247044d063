// The shadow pool in the matcher: the `shadowed` flag of join and next picks
// a partition of its own within each mode, so that flagged sessions meet only
// flagged ones (abuse::may_meet), with interests, windows and cooldowns as
// everywhere else.

#include "match_support.hpp"

#include <catch2/catch.hpp>

using namespace onymous::match;
using namespace onymous::match::test;

TEST_CASE("matcher pairs shadowed only with shadowed, the others only with the others",
          "[match][shadow]") {
    world w(0s, 0s);
    client flagged1(w), flagged2(w), plain1(w), plain2(w);
    flagged1.join_shadowed(true);
    plain1.join_shadowed(false);
    CHECK(flagged1.events().empty());
    CHECK(plain1.events().empty());
    plain2.join_shadowed(false);
    REQUIRE(just_paired(plain1, plain2));
    CHECK(flagged1.events().empty());
    flagged2.join_shadowed(true);
    REQUIRE(just_paired(flagged1, flagged2));
}

TEST_CASE("the shadow partition is per mode, and interests work inside it", "[match][shadow]") {
    world w(5s, 0s);
    client a(w), b(w), c(w);
    a.join_shadowed(true, chat_mode::text, {"chess"});
    b.join_shadowed(true, chat_mode::video, {"chess"});
    CHECK(a.events().empty());
    c.join_shadowed(false, chat_mode::text, {"chess"});
    CHECK(c.events().empty());
    client d(w);
    d.join_shadowed(true, chat_mode::text, {"chess"});
    REQUIRE(just_paired(a, d));
    CHECK(c.events().empty());
}

TEST_CASE("next takes the flag afresh: a session moves into the shadow pool", "[match][shadow]") {
    world w(0s, 0s);
    client target(w), plain(w), other(w), flagged(w);
    target.join_shadowed(false);
    plain.join_shadowed(false);
    REQUIRE(just_paired(target, plain));
    // Reported meanwhile: its next is shadowed.
    target.next_shadowed(true);
    CHECK_FALSE(plain.last().matched);  // partner_left
    other.join_shadowed(false);
    CHECK(target.last().matched == true);  // still the old event: not paired with `other`
    CHECK(other.events().empty());
    plain.next_shadowed(false);
    REQUIRE(just_paired(plain, other));
    flagged.join_shadowed(true);
    REQUIRE(just_paired(target, flagged));
    // And back out once the shadow ends.
    target.next_shadowed(false);
    other.next_shadowed(false);
    REQUIRE(just_paired(target, other));
}
