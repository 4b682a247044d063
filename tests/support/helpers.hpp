#pragma once
// Protocol-level helpers for the end-to-end tests: connect and check hello,
// expect a message of a type (checking `seq`), join, pair two clients, build
// valid SDP and candidates. They assert with Catch2, so a failure names the
// message that was received instead of it.

#include "daemon_process.hpp"
#include "ws_client.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace onymous::test {

/// True for server messages that carry `seq` (all but hello, pong, error, resumed).
bool is_sequenced(std::string_view type);

/// Connects to the daemon's TLS listener (or plain with options.tls false),
/// requires the upgrade and a first message of type hello (history()[0]).
ws_client open_client(const daemon_process& daemon, const connect_options& options = {});

/// The next message; fails the test when none arrives within `timeout`.
json next_message(ws_client& client, duration timeout = 5s);

/// The next message, required to be of `type`, with `seq` one above the
/// previous sequenced message when the type is sequenced and none otherwise.
json expect_type(ws_client& client, std::string_view type, duration timeout = 5s);

/// The next message, required to equal `expected` exactly, plus the next
/// `seq` when the type is sequenced.
json expect_message(ws_client& client, json expected, duration timeout = 5s);

/// The next message, required to be exactly an error with `code`, a
/// non-empty message and `ref` (absent when `ref` is empty).
json expect_error(ws_client& client, std::string_view code, std::string_view ref = {},
                  duration timeout = 5s);

/// Reads until the connection ends; requires a close frame with `code`.
void expect_closed(ws_client& client, int code, duration timeout = 5s);

/// Sends ping and requires exactly {"type":"pong"} as the next message.
void ping_pong(ws_client& client);

/// A join message; `mode` empty leaves it out, as do empty interests.
json join_message(std::string_view mode, const std::vector<std::string>& interests = {});

/// Sends join and requires `waiting`.
void join(ws_client& client, std::string_view mode = "text",
          const std::vector<std::string>& interests = {});

/// The two `matched` messages of a pairing.
struct pairing {
    json a_matched;
    json b_matched;
    bool a_offers = false;

    ws_client& offerer(ws_client& a, ws_client& b) const { return a_offers ? a : b; }
    ws_client& answerer(ws_client& a, ws_client& b) const { return a_offers ? b : a; }
};

/// Reads `matched` on both (already waiting) clients, requires exactly one
/// offerer and the same interests on both sides.
pairing expect_pairing(ws_client& a, ws_client& b, duration timeout = 5s);

/// Joins a then b (same mode) and returns their pairing.
pairing pair(ws_client& a, ws_client& b, std::string_view mode = "text",
             const std::vector<std::string>& interests_a = {},
             const std::vector<std::string>& interests_b = {});

/// A data-channel-only SDP (valid in text mode) carrying `marker` in its o= line.
std::string text_sdp(std::string_view marker = "1");
/// An audio+video+data SDP (valid in video mode only).
std::string video_sdp(std::string_view marker = "1");
/// A valid RTCIceCandidateInit whose ufrag and foundation carry `marker`.
json candidate_init(std::string_view marker = "1", int foundation = 1);

/// A raw HTTP/1.1 WebSocket upgrade request for `target` plus `extra` header lines ("Name: value").
std::string upgrade_request(std::string_view target, const std::vector<std::string>& extra = {});
/// A raw HTTP/1.1 GET without upgrade.
std::string get_request(std::string_view target);

/// False in sanitizer and debug builds of the tests, and when the daemon under
/// test is a sanitizer build (ONYMOUS_E2E_SANITIZED=1 in the environment):
/// there timing-sensitive tests are skipped.
bool timing_tests_enabled();

/// True when ONYMOUS_E2E_SANITIZED=1: the daemon is a (slow) sanitizer build.
bool sanitized_daemon();

/// `base` in a timing build, `factor` times it otherwise: an allowance for
/// slow daemons in bounds that are not the point of a test.
duration allowance(duration base, int factor = 5);

/// Stops the daemon and requires a clean exit (code 0 on SIGTERM) and a log
/// free of sanitizer reports.
void finish(daemon_process& daemon);

}  // namespace onymous::test

/// Ends the current test case early (with a warning) in builds where
/// timing-sensitive tests are not meaningful.
#define ONYMOUS_REQUIRE_TIMING_BUILD()                                       \
    do {                                                                     \
        if (!::onymous::test::timing_tests_enabled()) {                      \
            WARN("timing-sensitive test skipped outside the release build"); \
            return;                                                          \
        }                                                                    \
    } while (false)
