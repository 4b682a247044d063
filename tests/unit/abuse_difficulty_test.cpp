// The difficulty curve (abuse/difficulty) on a manual clock: the node's join
// rate, one bit per doubling above the threshold, the address's reports and
// skips, the cap, and off when pow_bits is 0.

#include <onymous/abuse/difficulty.hpp>

#include <catch2/catch.hpp>

using namespace onymous;
using namespace onymous::abuse;
using namespace std::chrono_literals;
using time_point = join_rate::time_point;

TEST_CASE("the join rate counts this second and a fading share of the last",
          "[abuse][difficulty]") {
    const time_point t0 = time_point{} + 100s;
    join_rate rate;
    CHECK(rate.per_second(t0) == 0);
    for (int i = 0; i < 30; ++i) rate.record(t0);
    CHECK(rate.per_second(t0) == 30);
    CHECK(rate.per_second(t0 + 999ms) == 30);
    // A second later the 30 weigh in full, then fade over the second.
    CHECK(rate.per_second(t0 + 1s) == 30);
    CHECK(rate.per_second(t0 + 1500ms) == 15);
    for (int i = 0; i < 10; ++i) rate.record(t0 + 1500ms);
    CHECK(rate.per_second(t0 + 1500ms) == 25);
    CHECK(rate.per_second(t0 + 1900ms) == 13);
    CHECK(rate.per_second(t0 + 2s) == 10);
    CHECK(rate.per_second(t0 + 2750ms) == 2);
    // A silent second in between: nothing is left.
    CHECK(rate.per_second(t0 + 4s) == 0);
    // A clock that goes back counts into the current second.
    rate.record(t0 + 4s);
    rate.record(t0 + 3s);
    CHECK(rate.per_second(t0 + 4s) == 2);
}

TEST_CASE("one bit per doubling of the join rate above the threshold", "[abuse][difficulty]") {
    const std::pair<std::uint64_t, unsigned> table[] = {
        {0, 0},   {49, 0},  {50, 0},  {99, 0},  {100, 1},        {199, 1},
        {200, 2}, {399, 2}, {400, 3}, {800, 4}, {1'000'000, 14},
    };
    for (const auto& [rate, bits] : table) {
        INFO(rate);
        CHECK(load_bits(rate, 50) == bits);
    }
    CHECK(load_bits(1, 1) == 0);
    CHECK(load_bits(2, 1) == 1);
    CHECK(load_bits(UINT64_MAX, 1) == 63);
}

TEST_CASE("skips raise the bits from half the throttle's limit", "[abuse][difficulty]") {
    const std::pair<std::uint64_t, unsigned> table[] = {
        {0, 0}, {14, 0}, {15, 1}, {29, 1}, {30, 2}, {59, 2}, {60, 3},
    };
    for (const auto& [skips, bits] : table) {
        INFO(skips);
        CHECK(skip_bits(skips, 30) == bits);
    }
    CHECK(skip_bits(1000, 0) == 0);  // throttle off: no skip term either
    CHECK(skip_bits(0, 1) == 0);
    CHECK(skip_bits(1, 1) == 1);
    CHECK(skip_bits(2, 1) == 2);
}

TEST_CASE("the difficulty adds load, reports and skips, up to the cap", "[abuse][difficulty]") {
    config::abuse_settings s;
    s.pow_bits = 10;  // pow_max_bits 22, pow_load_threshold 50, skips_per_minute 30
    CHECK(difficulty(s, 0, {}) == 10);
    CHECK(difficulty(s, 99, {}) == 10);
    CHECK(difficulty(s, 100, {}) == 11);
    CHECK(difficulty(s, 0, {.reporters = 2, .skips = 0}) == 12);
    CHECK(difficulty(s, 0, {.reporters = 0, .skips = 30}) == 12);
    CHECK(difficulty(s, 400, {.reporters = 3, .skips = 15}) == 10 + 3 + 3 + 1);
    CHECK(difficulty(s, 1'000'000, {}) == 22);
    CHECK(difficulty(s, 0, {.reporters = UINT64_MAX, .skips = UINT64_MAX}) == 22);
    s.pow_max_bits = 10;
    CHECK(difficulty(s, 1'000'000, {.reporters = 5, .skips = 30}) == 10);
}

TEST_CASE("pow_bits 0 turns proof of work off whatever the pressure", "[abuse][difficulty]") {
    config::abuse_settings s;
    REQUIRE(s.pow_bits == 0);
    CHECK(difficulty(s, 1'000'000, {.reporters = 9, .skips = 1000}) == 0);
}
