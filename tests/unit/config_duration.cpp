#include <onymous/config/load.hpp>

#include <catch2/catch.hpp>

#include <limits>

using onymous::config::duration;
using onymous::config::parse_duration;
using namespace std::chrono_literals;

namespace {

// The parsed value, or -1ms when refused (no valid duration is negative).
duration parsed(std::string_view text) {
    duration out = -1ms;
    return parse_duration(text, out) ? out : -1ms;
}

}  // namespace

TEST_CASE("parse_duration reads every unit", "[config]") {
    CHECK(parsed("250ms") == 250ms);
    CHECK(parsed("10s") == 10s);
    CHECK(parsed("5m") == 5min);
    CHECK(parsed("1h") == 1h);
    CHECK(parsed("0s") == 0ms);
    CHECK(parsed("0ms") == 0ms);
    CHECK(parsed("007s") == 7s);
    CHECK(parsed("90m") == 90min);
}

TEST_CASE("parse_duration refuses anything but <integer><unit>", "[config]") {
    for (const char* text :
         {"",    "10",  "0",     "s",     "ms",   "10 s", " 10s",  "10s ",  "1.5s",  "-1s",
          "+1s", "10S", "10sec", "1h30m", "10us", "10d",  "1e3ms", "0x10s", "10ms5", "s10"}) {
        INFO(text);
        duration out = 42ms;
        CHECK_FALSE(parse_duration(text, out));
        CHECK(out == 42ms);  // untouched on refusal
    }
}

TEST_CASE("parse_duration refuses what overflows milliseconds", "[config]") {
    constexpr auto max_ms = std::numeric_limits<duration::rep>::max();  // 9223372036854775807
    CHECK(parsed("9223372036854775807ms") == duration(max_ms));
    CHECK(parsed("9223372036854775808ms") == -1ms);
    CHECK(parsed("9223372036854775s") == duration(9223372036854775000));
    CHECK(parsed("9223372036854776s") == -1ms);
    CHECK(parsed("2562047788015h") == duration(2562047788015LL * 3'600'000));
    CHECK(parsed("2562047788016h") == -1ms);
    CHECK(parsed("18446744073709551616s") == -1ms);  // past 64 bits before the unit
    CHECK(parsed("99999999999999999999999999h") == -1ms);
}
