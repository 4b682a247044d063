// Reports (abuse/report_ledger) on a manual clock: distinct reporters, the
// shadow and suspend thresholds, the reporter discount, expiry, and bounded
// memory.

#include <onymous/abuse/report_ledger.hpp>

#include <catch2/catch.hpp>

using namespace onymous;
using namespace onymous::abuse;
using namespace std::chrono_literals;
using time_point = report_ledger::time_point;

namespace {

const time_point t0 = time_point{} + 24h;

config::abuse_settings rules() {
    config::abuse_settings s;  // report_window 1h, shadow 3 for 30m
    s.suspend_threshold = 5;
    s.max_reports_per_hour = 4;
    return s;
}

constexpr std::uint64_t abuser = 0xA;

/// Reporters 100, 101, ... report `reported`, one a minute from `from`.
void reports(report_ledger& ledger, std::uint64_t reported, int count, time_point from,
             std::uint64_t first_reporter = 100) {
    for (int i = 0; i < count; ++i)
        REQUIRE(ledger.report(first_reporter + static_cast<std::uint64_t>(i), reported,
                              from + std::chrono::minutes(i)) == report_outcome::counted);
}

address_status status(standing state, std::uint64_t reporters,
                      std::chrono::milliseconds retry = 0ms) {
    return {state, retry, reporters};
}

}  // namespace

TEST_CASE("each reporter counts once per reported address", "[abuse][reports]") {
    memory_report_ledger ledger(rules(), 1024);
    CHECK(ledger.status(abuser, t0) == status(standing::normal, 0));
    CHECK(ledger.report(1, abuser, t0) == report_outcome::counted);
    CHECK(ledger.report(1, abuser, t0 + 1s) == report_outcome::repeated);
    CHECK(ledger.report(1, abuser, t0 + 2s) == report_outcome::repeated);
    CHECK(ledger.status(abuser, t0 + 2s) == status(standing::normal, 1));
    CHECK(ledger.report(2, abuser, t0 + 3s) == report_outcome::counted);
    CHECK(ledger.report(2, abuser, t0 + 4s) == report_outcome::repeated);
    CHECK(ledger.status(abuser, t0 + 4s) == status(standing::normal, 2));
    // The third distinct reporter shadows the address.
    CHECK(ledger.report(3, abuser, t0 + 5s) == report_outcome::counted);
    CHECK(ledger.status(abuser, t0 + 5s) == status(standing::shadowed, 3));
    // Reports against one address count nothing against another.
    CHECK(ledger.status(0xB, t0 + 5s) == status(standing::normal, 0));
    // One's own address: ignored.
    CHECK(ledger.report(0xB, 0xB, t0) == report_outcome::ignored_self);
    CHECK(ledger.status(0xB, t0) == status(standing::normal, 0));
}

TEST_CASE("the shadow lasts shadow_duration from when it was reached", "[abuse][reports]") {
    memory_report_ledger ledger(rules(), 1024);
    reports(ledger, abuser, 3, t0);  // the third at t0 + 2m
    const time_point reached = t0 + 2min;
    CHECK(ledger.status(abuser, reached + 30min - 1ms) == status(standing::shadowed, 3));
    // Over, although the three still count within the hour.
    CHECK(ledger.status(abuser, reached + 30min) == status(standing::normal, 3));
    // A further distinct reporter reaches the threshold again.
    CHECK(ledger.report(200, abuser, reached + 40min) == report_outcome::counted);
    CHECK(ledger.status(abuser, reached + 40min) == status(standing::shadowed, 4));
    // The first three aged out within that shadow; it lasts its 30 minutes.
    CHECK(ledger.status(abuser, reached + 70min - 1ms) == status(standing::shadowed, 1));
    CHECK(ledger.status(abuser, reached + 70min) == status(standing::normal, 1));
}

TEST_CASE("reports expire after report_window", "[abuse][reports]") {
    memory_report_ledger ledger(rules(), 1024);
    reports(ledger, abuser, 2, t0);  // t0 and t0 + 1m
    CHECK(ledger.status(abuser, t0 + 1h - 1ms) == status(standing::normal, 2));
    CHECK(ledger.status(abuser, t0 + 1h) == status(standing::normal, 1));
    // The same reporter again, after its report expired: counted anew.
    CHECK(ledger.report(100, abuser, t0 + 1h) == report_outcome::counted);
    CHECK(ledger.status(abuser, t0 + 1h + 1min) == status(standing::normal, 1));
    // Reporters whose reports expired and one fresh one make one, not three.
    CHECK(ledger.report(300, abuser, t0 + 2h) == report_outcome::counted);
    CHECK(ledger.status(abuser, t0 + 2h) == status(standing::normal, 1));
    // A report repeated refreshes its time.
    CHECK(ledger.report(300, abuser, t0 + 2h + 30min) == report_outcome::repeated);
    CHECK(ledger.status(abuser, t0 + 3h) == status(standing::normal, 1));
    CHECK(ledger.status(abuser, t0 + 3h + 30min) == status(standing::normal, 0));
    ledger.sweep(t0 + 3h + 30min);
    CHECK(ledger.tracked_addresses() == 0);
    CHECK(ledger.tracked_reporters() == 0);
}

TEST_CASE("suspend_threshold reporters suspend, with the time until it ends", "[abuse][reports]") {
    memory_report_ledger ledger(rules(), 1024);
    reports(ledger, abuser, 5, t0);  // t0 ... t0 + 4m
    const time_point last = t0 + 4min;
    // Until the first report is an hour old.
    CHECK(ledger.status(abuser, last) == status(standing::suspended, 5, 56min));
    CHECK(ledger.status(abuser, t0 + 1h - 1ms) == status(standing::suspended, 5, 1ms));
    // Then shadowed for shadow_duration past the suspension's end.
    CHECK(ledger.status(abuser, t0 + 1h) == status(standing::shadowed, 4));
    CHECK(ledger.status(abuser, t0 + 1h + 30min - 1ms) == status(standing::shadowed, 0));
    CHECK(ledger.status(abuser, t0 + 1h + 30min) == status(standing::normal, 0));

    // More reporters than the threshold: it lasts until enough have aged out.
    memory_report_ledger more(rules(), 1024);
    reports(more, abuser, 7, t0);  // t0 ... t0 + 6m
    CHECK(more.status(abuser, t0 + 10min) == status(standing::suspended, 5, 52min));
    CHECK(more.status(abuser, t0 + 1h + 2min) == status(standing::shadowed, 4));
}

TEST_CASE("a reporter past max_reports_per_hour is not counted", "[abuse][reports]") {
    memory_report_ledger ledger(rules(), 1024);
    constexpr std::uint64_t zealot = 7;
    for (std::uint64_t a = 1; a <= 4; ++a)
        CHECK(ledger.report(zealot, 1000 + a, t0 + std::chrono::seconds(a)) ==
              report_outcome::counted);
    // The fifth distinct partner within the hour: ignored, and nothing kept.
    CHECK(ledger.report(zealot, 1005, t0 + 10s) == report_outcome::ignored_over_limit);
    CHECK(ledger.status(1005, t0 + 10s) == status(standing::normal, 0));
    CHECK(ledger.tracked_addresses() == 4);
    // Reporting one already reported again is not a new partner.
    CHECK(ledger.report(zealot, 1001, t0 + 20s) == report_outcome::repeated);
    // An hour after its oldest report (1002's, at t0 + 2s, since 1001 was
    // reported again) the zealot may report one more.
    CHECK(ledger.report(zealot, 1005, t0 + 1h + 1s) == report_outcome::ignored_over_limit);
    CHECK(ledger.report(zealot, 1005, t0 + 1h + 2s) == report_outcome::counted);
    CHECK(ledger.status(1005, t0 + 1h + 2s) == status(standing::normal, 1));
    // Others are not held back by the zealot.
    CHECK(ledger.report(8, 1006, t0 + 10s) == report_outcome::counted);
}

TEST_CASE("three reporters who report everyone cannot banish anyone", "[abuse][reports]") {
    memory_report_ledger ledger(rules(), 1024);
    // Each reports four others first, then the victim.
    for (std::uint64_t r = 1; r <= 3; ++r) {
        for (std::uint64_t a = 0; a < 4; ++a)
            REQUIRE(ledger.report(r, 100 * r + a, t0) == report_outcome::counted);
        CHECK(ledger.report(r, 0xF, t0 + 1s) == report_outcome::ignored_over_limit);
    }
    CHECK(ledger.status(0xF, t0 + 1s) == status(standing::normal, 0));
}

TEST_CASE("the ledger holds at most max_tracked addresses and reporters", "[abuse][reports]") {
    memory_report_ledger ledger(rules(), 3);
    for (std::uint64_t i = 0; i < 10; ++i)
        CHECK(ledger.report(100 + i, 200 + i, t0 + std::chrono::seconds(i)) ==
              report_outcome::counted);
    CHECK(ledger.tracked_addresses() == 3);
    CHECK(ledger.tracked_reporters() == 3);
    // The least recently reported went first.
    CHECK(ledger.status(200, t0 + 10s) == status(standing::normal, 0));
    CHECK(ledger.status(209, t0 + 10s) == status(standing::normal, 1));
    // A reload keeps what was counted.
    config::abuse_settings lower = rules();
    lower.shadow_threshold = 1;
    ledger.set_settings(lower);
    CHECK(ledger.report(1, 209, t0 + 11s) == report_outcome::counted);
    CHECK(ledger.status(209, t0 + 11s) == status(standing::shadowed, 2));
}
