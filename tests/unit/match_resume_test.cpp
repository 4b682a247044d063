// suspend()/reactivate(): the resume grace keeps a member's place (and join
// time) or its pairing, without letting it be chosen.

#include "match_support.hpp"

#include <catch2/catch.hpp>

namespace onymous::match::test {
namespace {

TEST_CASE("matcher skips a suspended waiter and pairs it on reactivate", "[match]") {
    world w;
    client a(w), b(w);
    a.join();
    a.suspend();
    b.join();
    CHECK(a.events().empty());
    CHECK(b.events().empty());
    w.advance(1h);
    w.poll();
    CHECK(b.events().empty());

    a.reactivate();  // with a new peer: the decision goes there
    REQUIRE(just_paired(a, b));
    CHECK(a.events().size() == 1);
    CHECK(a.last().pair.ticket == 1);
}

TEST_CASE("matcher keeps a suspended waiter's join time and window", "[match]") {
    world w;
    client music(w), anyone(w);
    music.join(chat_mode::video, {"music"});
    w.advance(1s);
    music.suspend();
    anyone.join();
    w.advance(4s);  // music's window ends during the grace
    w.poll();
    CHECK(anyone.events().empty());
    music.reactivate();  // out of its window now: anyone may take it
    REQUIRE(just_paired(music, anyone));
}

TEST_CASE("matcher keeps the window running after a short grace", "[match]") {
    world w;
    client music(w), anyone(w);
    music.join(chat_mode::video, {"music"});
    anyone.join();
    music.suspend();
    w.advance(1s);
    music.reactivate();
    CHECK(music.events().empty());
    w.advance(4s);  // the original window end, not one restarted by the grace
    w.poll();
    REQUIRE(just_paired(music, anyone));
}

TEST_CASE("matcher keeps a suspended member's pairing", "[match]") {
    world w;
    client a(w), b(w), c(w);
    a.join();
    b.join();
    REQUIRE(just_paired(a, b));
    a.suspend();
    c.join();
    CHECK(c.events().empty());
    b.next();  // the suspended side still hears that its partner left
    REQUIRE(a.events().size() == 2);
    CHECK_FALSE(a.last().matched);
    CHECK(a.last().pair.pair_id == 1);
    REQUIRE(just_paired(b, c));
}

TEST_CASE("matcher reactivate of an idle member only replaces its peer", "[match]") {
    world w;
    client a(w), b(w);
    a.suspend();
    a.reactivate();
    a.join();
    b.join();
    REQUIRE(just_paired(a, b));
}

TEST_CASE("matcher forgets a suspended waiter that detaches", "[match]") {
    world w;
    client b(w), c(w);
    {
        client a(w);
        a.join();
        a.suspend();
    }
    b.join();
    CHECK(b.events().empty());
    c.join();
    REQUIRE(just_paired(b, c));
}

}  // namespace
}  // namespace onymous::match::test
