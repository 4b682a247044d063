// The replay history and the token directory.

#include <onymous/session/directory.hpp>
#include <onymous/session/history.hpp>
#include <onymous/session/signaling_session.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace onymous::session;

namespace {

frame text_of(std::size_t bytes) { return std::make_shared<const std::string>(bytes, 'x'); }

/// Pushes `count` messages of `bytes` each from seq `first` on, handed to
/// a connection that has already written them (nobody else holds them).
void push_written(history& h, std::uint64_t first, int count, std::size_t bytes) {
    for (int i = 0; i < count; ++i) {
        const auto seq = first + static_cast<std::uint64_t>(i);
        h.push(seq, text_of(bytes));
        h.handed(seq);
    }
}

std::vector<std::uint64_t> sizes_after(const history& h, std::uint64_t last_seq) {
    std::vector<std::uint64_t> sizes;
    h.each_after(last_seq, [&](const frame& f) { sizes.push_back(f->size()); });
    return sizes;
}

}  // namespace

TEST_CASE("an ack forgets everything up to its seq", "[session][history]") {
    history h(1000);
    push_written(h, 1, 5, 10);
    CHECK(h.bytes() == 50);
    h.acknowledge(3);
    CHECK(h.size() == 2);
    CHECK(h.bytes() == 20);
    CHECK(h.acked() == 3);
    CHECK(h.holds_after(3, 5));
    CHECK(h.holds_after(4, 5));
    CHECK_FALSE(h.holds_after(2, 5));  // seq 3 is gone: the client said it had it

    SECTION("repeated and lower acks change nothing") {
        h.acknowledge(3);
        h.acknowledge(1);
        h.acknowledge(0);
        CHECK(h.size() == 2);
        CHECK(h.acked() == 3);
    }
    SECTION("out of order: the highest counts") {
        h.acknowledge(5);
        h.acknowledge(4);
        CHECK(h.size() == 0);
        CHECK(h.bytes() == 0);
        CHECK(h.acked() == 5);
        CHECK(h.holds_after(5, 5));
        CHECK_FALSE(h.holds_after(4, 5));
    }
}

TEST_CASE("the bound counts what holding each written message costs, not only its text",
          "[session][history]") {
    // 1000 bytes of bound, 60-byte texts costing 100 more each to hold: 6
    // of them (960), not the 16 whose texts alone would fit.
    history h(1000, nullptr, 100);
    push_written(h, 1, 20, 60);
    CHECK(h.size() == 6);
    CHECK(h.bytes() == 360);  // bytes() and the gauge count the texts
    CHECK(h.written_cost() == 960);
    CHECK(h.holds_after(14, 20));
    CHECK_FALSE(h.holds_after(13, 20));

    SECTION("messages not yet handed cost nothing against the bound") {
        h.push(21, text_of(60));
        h.push(22, text_of(60));
        CHECK(h.size() == 8);
        CHECK(h.written_cost() == 960);
        h.handed(22);  // now written: two older ones make room
        CHECK(h.size() == 6);
        CHECK(h.written_cost() == 960);
        CHECK(h.holds_after(16, 22));
    }
    SECTION("an ack gives back the overhead with the text") {
        h.acknowledge(18);
        CHECK(h.size() == 2);
        CHECK(h.written_cost() == 320);
    }
}

TEST_CASE("a session's history counts a frame's shared block and slot", "[session][history]") {
    // The frame's shared block alone is one 80-byte allocation
    // (memory::charged_text); the slot 24 bytes; the text's malloc header 16.
    CHECK(history::message_overhead >= 80 + 24 + 16);
}

TEST_CASE("without acks, written messages are bounded by max_unacked_bytes", "[session][history]") {
    history h(100);
    push_written(h, 1, 3, 40);  // 120 > 100: the oldest goes
    CHECK(h.bytes() == 80);
    CHECK(h.size() == 2);
    SECTION("a resume from inside the bound is served") {
        CHECK(h.holds_after(1, 3));
        CHECK(h.holds_after(2, 3));
        CHECK(h.holds_after(3, 3));
        CHECK(sizes_after(h, 2) == std::vector<std::uint64_t>{40});
    }
    SECTION("a resume from before it is not") { CHECK_FALSE(h.holds_after(0, 3)); }
    SECTION("one claiming what was never sent is not") { CHECK_FALSE(h.holds_after(4, 3)); }
    SECTION("a message over the bound alone is kept while the connection holds it") {
        auto big = text_of(500);
        h.push(4, big);
        h.handed(4);
        CHECK(h.size() == 1);  // the two written ones went; this one is still queued
        CHECK(h.holds_after(3, 4));
        big.reset();  // written
        h.push(5, text_of(10));
        h.handed(5);
        CHECK(h.size() == 1);
        CHECK(h.holds_after(4, 5));
        CHECK_FALSE(h.holds_after(3, 5));
    }
}

TEST_CASE("messages the connection still holds are not trimmed", "[session][history]") {
    history h(100);
    std::vector<frame> queued;  // the connection's queue
    for (std::uint64_t seq = 1; seq <= 4; ++seq) {
        queued.push_back(text_of(40));
        h.push(seq, queued.back());
        h.handed(seq);
    }
    CHECK(h.bytes() == 160);                           // over the bound, but none written yet
    queued.erase(queued.begin(), queued.begin() + 2);  // seq 1 and 2 written
    h.trim();
    CHECK(h.bytes() == 80);
    CHECK(h.holds_after(2, 4));
    CHECK_FALSE(h.holds_after(1, 4));
}

TEST_CASE("messages never handed to a connection stay, and are counted apart",
          "[session][history]") {
    history h(100);
    push_written(h, 1, 2, 40);
    h.push(3, text_of(40));  // in the grace: no connection
    h.push(4, text_of(40));
    CHECK(h.unhanded_bytes() == 80);
    CHECK(h.bytes() == 160);  // written ones within the bound, unhanded ones on top
    h.push(5, text_of(40));
    CHECK(h.holds_after(0, 5));
    h.handed(5);  // a resume re-sent them
    CHECK(h.unhanded_bytes() == 0);
}

TEST_CASE("an empty history serves only a resume that lacks nothing", "[session][history]") {
    history h(100);
    CHECK(h.holds_after(0, 0));
    CHECK_FALSE(h.holds_after(0, 1));
}

TEST_CASE("a token is taken once", "[session][directory]") {
    directory d;
    auto s = std::shared_ptr<signaling_session>();
    d.insert("t1", s);
    CHECK(d.size() == 1);
    CHECK(d.take("t1") == nullptr);  // a dead session: gone all the same
    CHECK(d.size() == 0);
    CHECK(d.take("t1") == nullptr);
    d.insert("t2", s);
    d.erase("t2");
    CHECK(d.size() == 0);
}
