#pragma once
// What the abuse tests (tests/e2e/abuse_test.cpp, tests/cluster/abuse_test.cpp)
// do alike: clients from their own loopback addresses (every abuse counter
// is per address), reports, proofs of work, refusals with retryAfterMs.

#include "daemon_process.hpp"
#include "helpers.hpp"

#include <onymous/abuse/proof_of_work.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace onymous::test {

/// A plain client of `daemon` from `source` (127.0.0.x: the loopback /8 is
/// all local on Linux).
ws_client client_from(const daemon_process& daemon, const std::string& source);

/// `target` meets `reporter` (both idle, nobody else waiting), the reporter
/// reports it and leaves; `target` is idle again.
void report_once(ws_client& target, ws_client& reporter);

/// `a` and `b`, paired, meet again: `a` presses Next, `b` joins again
/// (the pool's only other waiter, so each other's only candidate).
void meet_again(ws_client& a, ws_client& b);

/// The challenge a hello or waiting carries.
abuse::challenge challenge_of(const json& message);
/// The nonces of the reference solver for `c`.
json proof_for(const abuse::challenge& c);

/// An error with `code` and `ref` that carries "retryAfterMs" (and nothing
/// else); returns that.
std::int64_t expect_retry_after(ws_client& client, std::string_view code, std::string_view ref);

}  // namespace onymous::test
