// The matching rules of PROTOCOL.md ("Matching"), one test case per rule,
// through the public API from one thread with a manual clock and fixed seed.

#include "match_support.hpp"

#include <catch2/catch.hpp>

namespace onymous::match::test {
namespace {

using strings = std::vector<std::string>;

TEST_CASE("matcher pairs two waiters of the same mode at once", "[match]") {
    world w;
    client a(w), b(w);
    a.join();
    CHECK(a.events().empty());
    b.join();
    REQUIRE(just_paired(a, b));
    CHECK(a.last().pair.pair_id == 1);
    CHECK(a.last().pair.common_interests.empty());
    CHECK(b.last().pair.common_interests.empty());
}

TEST_CASE("matcher never pairs across modes", "[match]") {
    world w;
    client text1(w), video1(w), text2(w), video2(w);
    text1.join(chat_mode::text);
    video1.join(chat_mode::video);
    CHECK(text1.events().empty());
    CHECK(video1.events().empty());
    video2.join(chat_mode::video);
    REQUIRE(just_paired(video1, video2));
    CHECK(text1.events().empty());
    text2.join(chat_mode::text);
    REQUIRE(just_paired(text1, text2));
}

TEST_CASE("matcher offers only interest-sharing partners inside the window", "[match]") {
    world w;
    client music(w), chess(w), newcomer(w);
    music.join(chat_mode::video, {"music"});
    chess.join(chat_mode::video, {"chess"});
    CHECK(music.events().empty());
    CHECK(chess.events().empty());
    newcomer.join(chat_mode::video, {"chess", "art"});
    REQUIRE(just_paired(newcomer, chess));
    CHECK(newcomer.last().pair.common_interests == strings{"chess"});
    CHECK(chess.last().pair.common_interests == strings{"chess"});
    CHECK(music.events().empty());
}

TEST_CASE("matcher falls back to anyone after the window, without a new arrival", "[match]") {
    world w;
    client music(w), chess(w);
    music.join(chat_mode::video, {"music"});
    w.advance(1s);
    chess.join(chat_mode::video, {"chess"});
    REQUIRE(w.wakes() == std::vector{world::epoch() + 5s});

    w.advance(3999ms);
    w.poll();
    CHECK(music.events().empty());

    // music's window is over, chess's is not: music may not take chess yet.
    w.advance(1ms);
    w.poll();
    CHECK(music.events().empty());
    CHECK(w.wakes().back() == world::epoch() + 6s);

    w.advance(1s);
    w.poll();
    REQUIRE(just_paired(music, chess));
    CHECK(music.last().pair.common_interests.empty());
    CHECK(chess.last().pair.common_interests.empty());
}

TEST_CASE("matcher keeps a joiner without interests off a waiter inside its window", "[match]") {
    world w;
    client music(w), anyone(w);
    music.join(chat_mode::video, {"music"});
    anyone.join();
    CHECK(music.events().empty());
    CHECK(anyone.events().empty());
    w.advance(5s);
    w.poll();
    REQUIRE(just_paired(music, anyone));
}

TEST_CASE("matcher keeps a joiner inside its window off waiters without interests", "[match]") {
    world w;
    client anyone(w), music(w);
    anyone.join();
    music.join(chat_mode::video, {"music"});
    CHECK(anyone.events().empty());
    w.advance(4999ms);
    w.poll();
    CHECK(anyone.events().empty());
    w.advance(1ms);
    w.poll();
    REQUIRE(just_paired(anyone, music));
}

TEST_CASE("matcher restarts the wait and the window on next while waiting", "[match]") {
    world w;
    client music(w), anyone(w);
    music.join(chat_mode::video, {"music"});
    anyone.join();
    w.advance(4s);
    music.next();
    w.advance(1s);  // the first window would end now
    w.poll();
    CHECK(music.events().empty());
    CHECK(w.wakes().front() == world::epoch() + 5s);
    CHECK(w.wakes().back() == world::epoch() + 9s);
    w.advance(3999ms);
    w.poll();
    CHECK(music.events().empty());
    w.advance(1ms);
    w.poll();
    REQUIRE(just_paired(music, anyone));
    CHECK(music.last().pair.ticket == 2);
}

TEST_CASE("matcher never pairs a waiter with itself", "[match]") {
    world w;
    client a(w), b(w);
    a.join(chat_mode::video, {"music"});
    a.next();
    a.next();
    // Its window ends: it looks for a partner while listed in its own sets.
    w.advance(1h);
    w.poll();
    CHECK(a.events().empty());
    b.join();
    REQUIRE(just_paired(a, b));
    CHECK(a.last().pair.ticket == 3);
}

TEST_CASE("matcher forgets a waiter that leaves", "[match]") {
    world w;
    client a(w), b(w), c(w);
    a.join();
    a.leave();
    b.join();
    CHECK(a.events().empty());
    CHECK(b.events().empty());
    c.join();
    REQUIRE(just_paired(b, c));
    CHECK(a.events().empty());
}

TEST_CASE("matcher forgets a waiter that detaches", "[match]") {
    world w;
    client b(w), c(w);
    {
        client a(w);
        a.join();
        a.detach();
    }
    b.join();
    CHECK(b.events().empty());
    c.join();
    REQUIRE(just_paired(b, c));
}

}  // namespace
}  // namespace onymous::match::test
