#pragma once
// Helpers for the operations tests (issue 9): strict /metrics scrapes with
// polling on a series, the daemon's log, a bare TLS client that reports the
// served certificate, and certificate facts read from PEM files.

#include "helpers.hpp"
#include "prometheus_text.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace onymous::test {

/// GET /metrics on the admin listener: requires 200 and the 0.0.4 content
/// type, and parses the body strictly (a parse error fails the test, with
/// the body).
prometheus_exposition scrape(const daemon_process& daemon);

/// Scrapes until the series `name{labels}` equals `value` (an absent series
/// counts as 0 when `absent_is_zero`); fails the test with the last value
/// seen after `timeout`. Returns the scrape that matched.
prometheus_exposition wait_for_sample(const daemon_process& daemon, std::string_view name,
                                      const label_set& labels, double value, duration timeout = 5s,
                                      bool absent_is_zero = true);

/// Polls the daemon's stderr until it contains `text` at or after byte
/// `from`; fails the test (with the log) after `timeout`. Returns the offset
/// of the match.
std::size_t wait_for_log(const daemon_process& daemon, std::string_view text, std::size_t from = 0,
                         duration timeout = 5s);

/// How often `text` occurs in `haystack`.
std::size_t count_occurrences(std::string_view haystack, std::string_view text);

/// What a bare TLS client saw.
struct tls_peer_result {
    bool handshake = false;   ///< the TLS handshake completed
    bool verified = false;    ///< the chain verified against `trust` for "localhost"
    std::string fingerprint;  ///< SHA-256 of the served certificate's DER, hex
    int upgrade_status = 0;   ///< the status of a WebSocket upgrade over it (0: none)
    std::string error;
};

/// Connects to 127.0.0.1:port, completes a TLS handshake (SNI localhost)
/// without requiring verification, records the served certificate, checks
/// it against `trust` when given, then sends a WebSocket upgrade for /ws and
/// reads the response status.
tls_peer_result tls_peer(std::uint16_t port, const std::filesystem::path& trust = {},
                         duration timeout = 10s);

/// SHA-256 of the DER of the (first) certificate in a PEM file, hex.
std::string certificate_fingerprint(const std::filesystem::path& pem);

/// The notAfter of the (first) certificate in a PEM file.
std::chrono::system_clock::time_point certificate_not_after(const std::filesystem::path& pem);

/// Seconds since the Unix epoch, now.
double unix_now();

}  // namespace onymous::test
