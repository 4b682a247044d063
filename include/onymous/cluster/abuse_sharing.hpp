#pragma once
// How cluster nodes share their abuse counters (PROTOCOL.md, Abuse
// controls; docs/architecture.md, Abuse controls in cluster mode). Pure: the
// node (server/cluster/node/node_abuse.cpp) publishes and stores.
//
//   - Each node counts in its own abuse::controls, and gathers what it
//     counted (a `next`, a report) for a few ms into one `E` message to
//     every node, which counts it as its own: the same rules over the same
//     events give every node the same skip windows and standings, and a
//     join's checks never wait for Redis.
//   - Reports also go to a log in Redis (a sorted set scored by wall-clock
//     ms, trimmed to what can still count, with a TTL), so that a node that
//     starts later learns the standings in force.
//   - Addresses are hashed under one daily key for the whole cluster, kept
//     in Redis (with a TTL) by the first node to start and turned forward
//     by whichever node sees a new day first (address_hasher's ratchet).
//
// Every event is a pair of 64-bit keyed hashes or one: nothing names a
// user, and nothing says who reported whom to anyone who lacks the day's
// key. Whoever can read the cluster's Redis has that key, as it has the
// key of the interest hashes: Redis is inside the cluster's trust boundary
// (docs/operations.md).

#include <onymous/address/keyed_hash.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onymous::cluster {

struct abuse_event {
    enum class kind : std::uint8_t { skip, report };
    kind what = kind::skip;
    std::uint64_t address = 0;   ///< skip: who skipped; report: the reporter
    std::uint64_t reported = 0;  ///< report only

    bool operator==(const abuse_event&) const = default;
};

/// An E message's payload: one line per event, "s <hex>" or "r <hex> <hex>".
std::string encode_events(std::span<const abuse_event> events);
/// nullopt when any line is not an event (the whole message is dropped).
std::optional<std::vector<abuse_event>> decode_events(std::string_view payload);

/// A report as the Redis log holds it: "<reporter hex>:<reported hex>",
/// so that a repeat refreshes its score instead of adding a member.
std::string log_member(std::uint64_t reporter, std::uint64_t reported);
std::optional<abuse_event> parse_log_member(std::string_view member);

/// The cluster's address key as Redis holds it: "<day> <32 hex digits>".
std::string encode_address_key(std::int64_t day, const address::hash_key& key);
std::optional<std::pair<std::int64_t, address::hash_key>> decode_address_key(std::string_view text);

/// The script that keeps the cluster's address key (KEYS[1]): it stores
/// ARGV[1] (an encoded key) when there is none, or when ARGV[2] is "1" (the
/// caller holds the cluster's key, turned forward) and ARGV[1]'s day is
/// later than the stored one; the TTL is ARGV[3] ms. It answers the key in
/// force.
std::string_view address_key_script();

/// How long a report in the log can still matter: report_window for the
/// count, and a shadow (or a suspension's shadow) lasts shadow_duration past it.
std::chrono::milliseconds report_log_span(std::chrono::milliseconds report_window,
                                          std::chrono::milliseconds shadow_duration);

/// At most this many reports in the log (the newest): the ledgers hold at
/// most 1 << 16 addresses (abuse/controls.hpp) anyway.
inline constexpr std::size_t report_log_max = std::size_t{1} << 16;

}  // namespace onymous::cluster
