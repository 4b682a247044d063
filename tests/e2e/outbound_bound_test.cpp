// The outbound bound, proven from outside: with the default limits, a
// partner that stays within its per-pairing caps (20 offers, 200
// candidates) cannot push a client that reads nothing past
// limits.max_outbound_bytes (1 MiB): the client is not closed, the queue
// gauge stays under the bound, and what exceeds the caps is refused with
// rate_limited and never relayed.

#include "lifecycle.hpp"

#include <thread>

using namespace onymous::test;

TEST_CASE("within the default per-pairing caps a partner cannot fill a reader's queue",
          "[outbound_bound_test][e2e]") {
    // The production defaults of every limit involved (test_config relaxes them).
    daemon_process daemon({{"limits.messages_per_second", 50},
                           {"limits.burst", 100},
                           {"limits.pair_max_offers", 20},
                           {"limits.pair_max_candidates", 200},
                           {"limits.max_message_bytes", 65536},
                           {"limits.max_sdp_bytes", 32768},
                           {"limits.max_outbound_bytes", 1048576},
                           {"limits.ping_interval", "30s"},
                           {"limits.idle_timeout", "60s"}});
    auto reader = open_client(daemon);
    auto sender = open_client(daemon);
    pair(reader, sender);
    const auto seq_before = reader.last_seq();
    reader.stop_reading();

    // The largest offers allowed, then the most candidates, as fast as the
    // message bucket lets them through.
    const auto sdp = padded_sdp("full", 32768);
    REQUIRE(sdp.size() > 32768 - 72);
    // 90 of the burst of 100 (join took one), then 40 at a time, each
    // after the bucket has refilled: nothing is refused for the rate.
    for (int i = 0; i < 20; ++i) sender.send_json(offer_message(sdp));
    for (int i = 0; i < 200; ++i) {
        if (i == 70 || (i > 70 && (i - 70) % 40 == 0)) std::this_thread::sleep_for(2100ms);
        sender.send_json(candidate_message(candidate_init(std::to_string(i), i + 1)));
    }
    std::this_thread::sleep_for(2100ms);
    // Past the caps: refused, not relayed.
    sender.send_json(offer_message(sdp));
    expect_error(sender, "rate_limited", "offer");
    sender.send_json(candidate_message(candidate_init("over", 999)));
    expect_error(sender, "rate_limited", "candidate");

    const auto peak = metric(daemon, "onymous_outbound_queue_peak_bytes");
    REQUIRE(peak.has_value());
    INFO("peak outbound queue: " << *peak << " bytes");
    CHECK(*peak <= 1048576);
    REQUIRE_FALSE(reader.state().closed);

    // The reader, reading again, gets every relayed message, in order, and
    // nothing of the excess.
    for (int i = 0; i < 20; ++i) expect_at(reader, offer_message(sdp), seq_before + 1 + i, 10s);
    for (int i = 0; i < 200; ++i)
        expect_at(reader, candidate_message(candidate_init(std::to_string(i), i + 1)),
                  seq_before + 21 + i);
    CHECK(reader.expect_silence(300ms));
    require_metric(daemon, "onymous_outbound_queued_bytes", 0);
    finish_clean(daemon);
}
