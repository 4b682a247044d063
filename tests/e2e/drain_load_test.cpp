// SIGTERM under load (issue "Sessions that outlive their connection", Done
// when): 200 connections mid-handshake (half on the TLS listener, half on the
// plain one) and 50 pairs relaying. The daemon exits 0 within drain_timeout
// plus a few seconds, with no sanitizer report in its log; meanwhile every
// session got draining, relaying went on in order, and each was closed with
// 1001.

#include "lifecycle.hpp"

#include <signal.h>

#include <memory>
#include <string>
#include <vector>

using namespace onymous::test;
using steady = std::chrono::steady_clock;

TEST_CASE("SIGTERM with 200 half-open connections and 50 relaying pairs exits 0 in time",
          "[drain_load_test][e2e]") {
    const duration drain = 2s;
    daemon_process daemon({{"shutdown.drain_timeout", "2s"},
                           {"limits.close_timeout", "1s"},
                           {"limits.handshake_timeout", "60s"},
                           {"limits.pair_max_candidates", 1000000}});
    std::vector<std::unique_ptr<silent_connection>> half_open;
    for (int i = 0; i < 100; ++i)
        half_open.push_back(std::make_unique<silent_connection>(daemon.plain_port(), false));
    for (int i = 0; i < 100; ++i)  // half mid-TLS, half after TLS without an upgrade
        half_open.push_back(std::make_unique<silent_connection>(daemon.tls_port(), i % 2 == 0));

    constexpr int pairs = 50;
    std::vector<ws_client> clients;
    clients.reserve(2 * pairs);
    for (int i = 0; i < 2 * pairs; ++i) {
        connect_options options;
        options.tls = i % 4 < 2;
        clients.push_back(open_client(daemon, options));
    }
    for (int k = 0; k < pairs; ++k) pair(clients[2 * k], clients[2 * k + 1]);
    const auto partner = [](int i) { return i % 2 == 0 ? i + 1 : i - 1; };
    const auto marker = [](int i) { return "c" + std::to_string(i); };
    std::vector<int> sent(clients.size(), 0);
    const auto send_next = [&](int i) {
        auto& client = clients[static_cast<std::size_t>(i)];
        if (client.state().closed) return;
        try {
            client.send_json(
                candidate_message(candidate_init(marker(i), sent[static_cast<std::size_t>(i)])));
            ++sent[static_cast<std::size_t>(i)];
        } catch (const std::exception&) {
            // closed under our feet: the drain reached this one
        }
    };
    for (int round = 0; round < 3; ++round)
        for (int i = 0; i < 2 * pairs; ++i) send_next(i);

    REQUIRE(::kill(daemon.pid(), SIGTERM) == 0);
    const auto start = steady::now();
    const auto deadline = start + drain + allowance(6s);
    // Relay on until every client is closed (bounded in rounds and time).
    for (int round = 0; round < 5000 && steady::now() < deadline; ++round) {
        bool all_closed = true;
        for (int i = 0; i < 2 * pairs; ++i) {
            send_next(i);
            auto& client = clients[static_cast<std::size_t>(i)];
            while (client.pending() > 0) next_message(client, 0ms);
            all_closed = all_closed && client.state().closed;
        }
        if (all_closed) break;
    }
    const auto status = daemon.wait_exit(std::chrono::duration_cast<duration>(std::max(
                                             deadline - steady::now(), steady::duration(0))) +
                                         1s);
    const auto took = std::chrono::duration_cast<duration>(steady::now() - start);
    INFO("exit " << took.count() << " ms after SIGTERM; stderr:\n" << daemon.log());
    REQUIRE(status.has_value());
    REQUIRE(status->exited_with(0));
    REQUIRE(took <= drain + allowance(4s));

    for (int i = 0; i < 2 * pairs; ++i) {
        auto& client = clients[static_cast<std::size_t>(i)];
        const auto end = client.expect_close(1s);
        INFO("client " << i << ": closed " << end.closed << ", close frame " << end.close_frame
                       << ", code " << end.code << ", error " << end.error);
        REQUIRE(end.closed);
        // The last closing handshakes get a second (last_close_grace); a
        // sanitizer daemon beside another test may not write all 100 close
        // frames in it, and then aborts the rest, as it must.
        if (timing_tests_enabled() || end.close_frame) {
            REQUIRE(end.close_frame);
            REQUIRE(end.code == 1001);
        }
        // After hello, waiting, matched: the partner's candidates in order,
        // one draining among them, maybe a partner_left last; seq
        // consecutive, nothing refused.
        const auto& history = client.history();
        int draining = 0;
        int relayed = 0;
        for (std::size_t at = 3; at < history.size(); ++at) {
            const auto& message = history[at];
            INFO("message " << at << ": " << message.dump());
            REQUIRE(message.value("seq", 0) == static_cast<int>(at));
            if (message["type"] == "draining") {
                ++draining;
                REQUIRE(message.size() == 2);
            } else if (message["type"] == "partner_left") {
                REQUIRE(at + 1 == history.size());
            } else {
                REQUIRE(message == json{{"type", "candidate"},
                                        {"candidate", candidate_init(marker(partner(i)), relayed)},
                                        {"seq", static_cast<int>(at)}});
                ++relayed;
            }
        }
        REQUIRE(draining == 1);
        REQUIRE(relayed >= 3);
    }
    finish(daemon);
}
