// What cluster nodes exchange to share their abuse counters
// (cluster/abuse_sharing.hpp), and the controls' side of it
// (abuse/controls.hpp): events out through the sink, other nodes' events
// counted as one's own, one address key for the whole cluster.

#include <onymous/abuse/controls.hpp>
#include <onymous/cluster/abuse_sharing.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace onymous;
using namespace onymous::cluster;
using namespace std::chrono_literals;

namespace {

struct recorded_events final : abuse::event_sink {
    std::vector<abuse_event> events;
    void skipped(std::uint64_t address) override {
        events.push_back({abuse_event::kind::skip, address, 0});
    }
    void reported(std::uint64_t reporter, std::uint64_t reported) override {
        events.push_back({abuse_event::kind::report, reporter, reported});
    }
};

address::hash_key key_of(std::uint8_t fill) {
    address::hash_key k;
    k.fill(fill);
    return k;
}

abuse::pow_key pow_key_of(std::uint8_t fill) {
    abuse::pow_key k;
    k.fill(fill);
    return k;
}

config::abuse_settings rules() {
    config::abuse_settings s;
    s.shadow_threshold = 2;
    s.suspend_threshold = 3;
    s.skips_per_minute = 2;
    return s;
}

const auto t0 = std::chrono::steady_clock::time_point{} + 1000h;

}  // namespace

TEST_CASE("abuse events cross as lines of hex hashes", "[cluster][abuse_sharing]") {
    const std::vector<abuse_event> events{{abuse_event::kind::skip, 0x1f, 0},
                                          {abuse_event::kind::report, 2, 0xffffffffffffffff}};
    CHECK(encode_events(events) == "s 1f\nr 2 ffffffffffffffff");
    CHECK(decode_events("s 1f\nr 2 ffffffffffffffff") == events);
    CHECK(decode_events("") == std::vector<abuse_event>{});
    for (const char* bad : {"s", "s ", "s x", "r 1", "r 1 x", "q 1", "s 1\n\n",
                            "s 12345678901234567", "s -1", "r 1  2", "s 1 2"}) {
        INFO(bad);
        CHECK_FALSE(decode_events(bad));
    }
}

TEST_CASE("the report log and the address key as Redis holds them", "[cluster][abuse_sharing]") {
    CHECK(log_member(0xab, 0xcd) == "ab:cd");
    CHECK(parse_log_member("ab:cd") == abuse_event{abuse_event::kind::report, 0xab, 0xcd});
    CHECK_FALSE(parse_log_member("ab"));
    CHECK_FALSE(parse_log_member("ab:"));
    CHECK_FALSE(parse_log_member("ab:cd:ef"));

    const auto text = encode_address_key(20429, key_of(0xa5));
    CHECK(text == "20429 a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5");
    const auto back = decode_address_key(text);
    REQUIRE(back);
    CHECK(back->first == 20429);
    CHECK(back->second == key_of(0xa5));
    for (const char* bad :
         {"", "20429", "20429 a5", "-1 a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5",
          "x a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5", "20429 a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5zz"}) {
        INFO(bad);
        CHECK_FALSE(decode_address_key(bad));
    }
    // A report matters for its window, and a shadow it starts for its duration after.
    CHECK(report_log_span(1h, 30min) == 90min);
}

TEST_CASE("the controls hand over what they count, and count what other nodes counted",
          "[cluster][abuse_sharing]") {
    abuse::controls here(rules(), pow_key_of(1), key_of(7), 20000);
    abuse::controls there(rules(), pow_key_of(2), key_of(7), 20000);
    recorded_events out;
    here.share_with(&out);

    SECTION("a next, allowed or refused, goes out; the other node's throttle counts it") {
        for (int i = 0; i < 3; ++i) here.on_next(42, t0 + std::chrono::seconds(i));
        REQUIRE(out.events.size() == 3);
        CHECK(out.events[2] == abuse_event{abuse_event::kind::skip, 42, 0});
        for (const auto& e : out.events) there.count_elsewhere_skip(e.address, t0 + 3s);
        // The client moves: its next on the other node is its fourth of the minute.
        CHECK_FALSE(there.on_next(42, t0 + 4s).allowed);
        CHECK(there.on_next(43, t0 + 4s).allowed);
        CHECK(there.counters().skips_refused_total == 1);  // its own refusals only
    }
    SECTION("counted and repeated reports go out; ignored ones do not") {
        here.report(1, 9, t0);
        here.report(1, 9, t0 + 1s);  // repeated: refreshes its time everywhere
        here.report(9, 9, t0 + 2s);  // one's own address
        here.report(0, 9, t0 + 2s);  // a reporter not known
        REQUIRE(out.events.size() == 2);
        CHECK(out.events[0] == abuse_event{abuse_event::kind::report, 1, 9});
        here.report(2, 9, t0 + 3s);
        REQUIRE(out.events.size() == 3);
        for (const auto& e : out.events)
            there.count_elsewhere_report(e.address, e.reported, t0 + 3s);
        CHECK(there.status(9, t0 + 4s).state == abuse::standing::shadowed);
        CHECK(there.status(9, t0 + 4s).reporters == 2);
        CHECK(there.counters().reports_counted_total == 0);  // counted by the other node
    }
    SECTION("without a sink nothing goes out") {
        here.share_with(nullptr);
        here.on_next(42, t0);
        here.report(1, 9, t0);
        CHECK(out.events.empty());
    }
}

TEST_CASE("nodes that adopt one address key hash alike, and turn it forward alike",
          "[cluster][abuse_sharing]") {
    abuse::controls first(rules(), pow_key_of(1), key_of(1), 20000);
    abuse::controls second(rules(), pow_key_of(2), key_of(2), 20000);
    const auto client = address::parse_ip("198.51.100.7");
    REQUIRE(client);
    const auto day_20000 = std::chrono::system_clock::time_point{} + 20000 * 24h + 1h;
    CHECK(first.hash(*client, day_20000) != second.hash(*client, day_20000));

    // The second adopts the key the first offered (as Redis keeps it).
    const auto [day, key] = first.address_key(day_20000);
    CHECK(day == 20000);
    second.adopt_address_key(key, day);
    const auto today = first.hash(*client, day_20000);
    CHECK(second.hash(*client, day_20000) == today);
    // A day later each turns it forward alone, to the same key.
    const auto day_20001 = day_20000 + 24h;
    CHECK(first.hash(*client, day_20001) == second.hash(*client, day_20001));
    CHECK(first.hash(*client, day_20001) != today);
    CHECK(first.address_key(day_20001).first == 20001);
    CHECK(first.address_key(day_20001) == second.address_key(day_20001));
}
