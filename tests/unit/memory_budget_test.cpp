// The process-wide budget (limits.max_buffered_bytes): one counter for the
// sum, eviction of the largest holder when it is passed, the 90 % mark.

#include <onymous/memory/budget.hpp>
#include <onymous/memory/small_fifo.hpp>

#include <catch2/catch.hpp>

#include <iterator>
#include <memory>
#include <vector>

using onymous::memory::account;
using onymous::memory::budget;

namespace {

/// An account that records being evicted, as a session's posts its end.
struct holder {
    explicit holder(budget& b) : acc(b, [this] { ++evicted; }) {}
    int evicted = 0;
    account acc;
};

}  // namespace

TEST_CASE("the budget sums every account and is back to exactly 0 when they are gone",
          "[memory][budget]") {
    budget b(1000);
    {
        holder x(b);
        holder y(b);
        x.acc.add(100);
        y.acc.add(250);
        x.acc.remove(40);
        CHECK(b.used() == 310);
        y.acc.move_to(x.acc, 50);
        CHECK(x.acc.bytes() == 110);
        CHECK(y.acc.bytes() == 200);
        CHECK(b.used() == 310);
    }
    CHECK(b.used() == 0);
    CHECK(b.listed() == 0);
    CHECK(b.evictions() == 0);
}

TEST_CASE("above the limit the largest holder is evicted, once", "[memory][budget]") {
    budget b(64 * 1024);
    const auto big = b.listing_threshold();
    holder small(b), middle(b), large(b);
    small.acc.add(big);
    large.acc.add(big * 4);
    middle.acc.add(big * 2);
    CHECK(b.listed() == 3);
    CHECK(b.evictions() == 0);

    // A reload lowers the limit; this add passes it: the largest goes, not
    // the one adding.
    b.set_limit(b.used());
    small.acc.add(1);
    CHECK(large.evicted == 1);
    CHECK(middle.evicted == 0);
    CHECK(small.evicted == 0);
    CHECK(b.evictions() == 1);
    CHECK(large.acc.evicted());

    SECTION("while the chosen one has not given its bytes back, nobody else goes") {
        small.acc.add(1);
        CHECK(middle.evicted == 0);
        CHECK(small.evicted == 0);
        CHECK(b.evictions() == 1);
    }
    SECTION("once it has and the sum is over again, the largest then goes") {
        large.acc.remove(large.acc.bytes());
        CHECK(b.used() == big * 3 + 1);
        middle.acc.add(b.limit());  // middle is now the largest, and the sum is over
        CHECK(middle.evicted == 1);
        CHECK(small.evicted == 0);
        CHECK(large.evicted == 1);  // evicted once only
        CHECK(b.evictions() == 2);
    }
}

TEST_CASE("eviction takes several holders when one is not enough", "[memory][budget]") {
    budget b(64 * 1024);
    const auto unit = b.listing_threshold();
    std::vector<std::unique_ptr<holder>> holders;
    for (int i = 0; i < 4; ++i) {
        holders.push_back(std::make_unique<holder>(b));
        holders.back()->acc.add(unit * static_cast<std::uint64_t>(i + 2));
    }
    // Over by more than the largest holds: the two largest go, largest first.
    b.set_limit(b.used() - unit * 6);
    holders[0]->acc.add(1);
    CHECK(holders[3]->evicted == 1);
    CHECK(holders[2]->evicted == 1);
    CHECK(holders[1]->evicted == 0);
    CHECK(holders[0]->evicted == 0);
}

TEST_CASE("small holders are not candidates; a holder that shrinks leaves the list",
          "[memory][budget]") {
    budget b(64 * 1024);
    holder h(b);
    h.acc.add(b.listing_threshold() - 1);
    CHECK(b.listed() == 0);
    h.acc.add(1);
    CHECK(b.listed() == 1);
    h.acc.remove(b.listing_threshold() / 4);
    CHECK(b.listed() == 1);  // hysteresis: still above half the threshold
    h.acc.remove(b.listing_threshold() / 2);
    CHECK(b.listed() == 0);
}

TEST_CASE("above 90 % of the limit the budget is nearly full", "[memory][budget]") {
    budget b(1000);
    holder h(b);
    h.acc.add(900);
    CHECK_FALSE(b.nearly_full());
    h.acc.add(1);
    CHECK(b.nearly_full());
    b.set_limit(2000);
    CHECK_FALSE(b.nearly_full());
}

TEST_CASE("a charged text is counted once, however many hold it, until the last lets go",
          "[memory][budget]") {
    budget b(1 << 20);
    auto acc = std::make_shared<account>(b, [] {});
    auto text = onymous::memory::charged_text(acc, std::string(300, 'x'));
    auto queued = text;  // the history and a connection's queue share it
    CHECK(*queued == std::string(300, 'x'));
    CHECK(b.used() == 300);
    CHECK(acc->bytes() == 300);
    text.reset();
    CHECK(b.used() == 300);
    acc.reset();  // the session is gone; its frame still sits in a queue
    CHECK(b.used() == 300);
    queued.reset();
    CHECK(b.used() == 0);
}

TEST_CASE("a small fifo keeps order, and gives its memory back once empty", "[memory][fifo]") {
    onymous::memory::small_fifo<int> fifo;
    CHECK(fifo.empty());
    for (int i = 0; i < 100; ++i) fifo.push_back(i);
    for (int i = 0; i < 60; ++i) {
        CHECK(fifo.front() == i);
        fifo.pop_front();
    }
    CHECK(fifo.size() == 40);
    CHECK(*fifo.begin() == 60);
    CHECK(fifo.back() == 99);
    fifo.pop_back();
    CHECK(fifo.back() == 98);
    int expected = 60;
    for (const int x : fifo) CHECK(x == expected++);
    while (!fifo.empty()) fifo.pop_front();
    CHECK(fifo.size() == 0);
    fifo.push_back(7);
    CHECK(fifo.front() == 7);
    fifo.clear();
    CHECK(fifo.empty());
    CHECK(fifo.capacity() == 0);
}

TEST_CASE("a small fifo keeps a ring of slots sized to what it holds", "[memory][fifo]") {
    onymous::memory::small_fifo<int> fifo;
    // A client that never acks: about 110 messages held, one in, one out.
    for (int i = 0; i < 110; ++i) fifo.push_back(i);
    CHECK(fifo.capacity() == 128);
    for (int i = 110; i < 1000; ++i) {
        CHECK(fifo.front() == i - 110);
        fifo.pop_front();
        fifo.push_back(i);  // wraps around the ring many times
    }
    CHECK(fifo.capacity() == 128);
    int expected = 890;
    for (const int x : fifo) CHECK(x == expected++);
    CHECK(expected == 1000);
    // Newest first, as the history walks it.
    expected = 999;
    for (auto it = std::make_reverse_iterator(fifo.end());
         it != std::make_reverse_iterator(fifo.begin()); ++it)
        CHECK(*it == expected--);
    CHECK(expected == 889);
    // Shrinks once a quarter full, in order.
    while (fifo.size() > 32) fifo.pop_front();
    CHECK(fifo.capacity() == 64);
    CHECK(fifo.front() == 968);
    CHECK(fifo.back() == 999);
    while (fifo.size() > 1) fifo.pop_back();
    CHECK(fifo.capacity() == 4);
    CHECK(fifo.front() == 968);
    fifo.pop_front();
    CHECK(fifo.capacity() == 4);  // kept for the next item
    fifo.push_back(1);
    CHECK(fifo.front() == 1);
    fifo.clear();
    CHECK(fifo.capacity() == 0);
}
