// The shadow pool's matching rule (abuse/shadow_pool), fed by the report
// ledger: a flagged session never meets an unflagged one, two flagged
// sessions meet, and so do two unflagged ones.

#include <onymous/abuse/shadow_pool.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace onymous;
using namespace onymous::abuse;
using namespace std::chrono_literals;

TEST_CASE("flagged meets only flagged, unflagged only unflagged", "[abuse][shadow]") {
    CHECK(may_meet(true, true));
    CHECK(may_meet(false, false));
    CHECK_FALSE(may_meet(true, false));
    CHECK_FALSE(may_meet(false, true));
    CHECK_FALSE(in_shadow_pool(standing::normal));
    CHECK(in_shadow_pool(standing::shadowed));
    CHECK(in_shadow_pool(standing::suspended));
    static_assert(may_meet(true, true) && !may_meet(true, false));
}

TEST_CASE("sessions flagged by reports meet one another and nobody else", "[abuse][shadow]") {
    const auto t0 = report_ledger::time_point{} + 1h;
    memory_report_ledger ledger(config::abuse_settings{}, 1024);  // shadow at 3 reporters
    // Addresses 1 and 2 are reported by three people each; 3 and 4 by nobody.
    for (std::uint64_t reported : {1, 2})
        for (std::uint64_t reporter = 10; reporter < 13; ++reporter)
            REQUIRE(ledger.report(reporter + 10 * reported, reported, t0) ==
                    report_outcome::counted);
    std::vector<bool> flagged;
    for (std::uint64_t address = 1; address <= 4; ++address)
        flagged.push_back(in_shadow_pool(ledger.status(address, t0 + 1s).state));
    REQUIRE(flagged == std::vector<bool>{true, true, false, false});
    // Every pair, either way round: 1-2 and 3-4 meet, no cross pair does.
    for (std::size_t a = 0; a < 4; ++a)
        for (std::size_t b = 0; b < 4; ++b) {
            INFO(a << " " << b);
            CHECK(may_meet(flagged[a], flagged[b]) == ((a < 2) == (b < 2)));
        }
    // After shadow_duration they are back in the main pool.
    CHECK_FALSE(in_shadow_pool(ledger.status(1, t0 + 30min).state));
    CHECK(may_meet(in_shadow_pool(ledger.status(1, t0 + 30min).state),
                   in_shadow_pool(ledger.status(3, t0 + 30min).state)));
}
