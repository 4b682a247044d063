// One direction of a cross-node pair: numbered, acknowledged, retried with
// backoff, ended past the deadline; delivered in order, duplicates dropped,
// a gap breaks the pair.

#include <onymous/cluster/link.hpp>

#include <catch2/catch.hpp>

using namespace onymous::cluster;
using namespace std::chrono_literals;

namespace {

const clock::time_point t0{std::chrono::seconds(100)};

std::vector<std::uint64_t> seqs(const std::vector<sender::resend>& r) {
    std::vector<std::uint64_t> out;
    for (const auto& x : r) out.push_back(x.seq);
    return out;
}

}  // namespace

TEST_CASE("the sender numbers, keeps until acknowledged, and retries with backoff",
          "[cluster][link]") {
    sender s({100ms, 400ms, 3000ms});
    CHECK(s.push("a", t0) == 1);
    CHECK(s.push("b", t0 + 10ms) == 2);
    CHECK(s.due(t0 + 99ms).empty());
    CHECK(seqs(s.due(t0 + 100ms)) == std::vector<std::uint64_t>{1});
    CHECK(seqs(s.due(t0 + 110ms)) == std::vector<std::uint64_t>{2});
    // Doubling: 200 ms after the first retry, then 400 (the cap), then 400.
    CHECK(s.due(t0 + 299ms).empty());
    const auto again = s.due(t0 + 300ms);
    REQUIRE(again.size() == 1);
    CHECK(*again[0].text == "a");
    // b's second retry (due at 310 ms) is asked for only now, with a's third.
    CHECK(seqs(s.due(t0 + 700ms)) == std::vector<std::uint64_t>{1, 2});
    CHECK(s.due(t0 + 1099ms).empty());
    CHECK(seqs(s.due(t0 + 1100ms)) == std::vector<std::uint64_t>{1, 2});
    s.ack(1);
    CHECK(s.unacknowledged() == 1);
    s.ack(1);  // repeated: nothing more
    CHECK(s.unacknowledged() == 1);
    s.ack(5);  // covers everything
    CHECK(s.idle());
    CHECK(s.next_wake() == clock::time_point::max());
    CHECK(s.push("c", t0 + 2s) == 3);  // numbers go on
}

TEST_CASE("the sender expires at the deadline of its oldest unacknowledged message",
          "[cluster][link]") {
    sender s({100ms, 1000ms, 3000ms});
    s.push("a", t0);
    s.push("b", t0 + 1s);
    CHECK_FALSE(s.expired(t0 + 2999ms));
    CHECK(s.expired(t0 + 3000ms));
    s.ack(1);
    CHECK_FALSE(s.expired(t0 + 3500ms));  // b's own deadline is at 4 s
    CHECK(s.expired(t0 + 4s));
    CHECK(s.next_wake() <= t0 + 4s);
}

TEST_CASE("the receiver delivers in order, drops duplicates, calls a gap", "[cluster][link]") {
    receiver r;
    CHECK(r.accept(1) == receiver::verdict::deliver);
    CHECK(r.accept(2) == receiver::verdict::deliver);
    CHECK(r.accept(2) == receiver::verdict::duplicate);
    CHECK(r.accept(1) == receiver::verdict::duplicate);
    CHECK(r.delivered() == 2);
    CHECK(r.accept(4) == receiver::verdict::gap);
    CHECK(r.delivered() == 2);
    CHECK(r.accept(3) == receiver::verdict::deliver);
}
