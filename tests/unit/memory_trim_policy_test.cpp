// When freed heap is given back: once a spike has gone, not on every sample.

#include <onymous/memory/trim_policy.hpp>

#include <catch2/catch.hpp>

using onymous::memory::trim_policy;

TEST_CASE("a trim once the load fell to half of its peak, by enough", "[memory][trim]") {
    trim_policy policy(1000);
    CHECK_FALSE(policy.sample(0));
    CHECK_FALSE(policy.sample(5000));
    CHECK_FALSE(policy.sample(8000));
    CHECK_FALSE(policy.sample(4001));  // not yet half
    CHECK(policy.sample(4000));        // half of 8000, and 4000 >= 1000 fewer
    CHECK_FALSE(policy.sample(4000));  // measured from the trim on
    CHECK_FALSE(policy.sample(3000));
    CHECK(policy.sample(2000));
    CHECK(policy.sample(0));  // a fall of 2000 from the last trim
}

TEST_CASE("small loads never trim", "[memory][trim]") {
    trim_policy policy(1000);
    CHECK_FALSE(policy.sample(900));
    CHECK_FALSE(policy.sample(0));  // 900 fewer: not worth it
}

TEST_CASE("the load counts connections and buffered KiB", "[memory][trim]") {
    CHECK(trim_policy::load_of(10, 0) == 80);
    CHECK(trim_policy::load_of(0, 1024 * 1024) == 1024);
}
