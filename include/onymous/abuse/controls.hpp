#pragma once
// The abuse state of one daemon (PROTOCOL.md, Abuse controls): the address
// hasher, the report ledger, the skip throttle, the proof-of-work issuer,
// the join rate, and the settings in force. One object,
// owned by session::session_context and called by every worker's sessions:
// each part locks its own mutex for O(1) (or O(threshold)) work, and the
// settings are a copy under one more, so no call holds two of them at once
// and none waits on I/O (handing an event to the sink, in cluster mode, is a
// post to the cluster thread under the sink's own mutex).
//
// In cluster mode every node keeps the same counters: what one node counts
// goes to its event_sink (the cluster node, which publishes it), and what
// other nodes counted comes back through count_elsewhere_*; the nodes also
// share one address key (adopt_address_key). So a client that moves to
// another node keeps its reports and skips (docs/architecture.md, Abuse
// controls in cluster mode). Checks stay synchronous and local: a join
// never waits for Redis.
//
// Addresses are known here only by address_hasher's keyed hash; 0 means
// "not known" (a unit test's session) and is never counted.

#include <onymous/abuse/address_hasher.hpp>
#include <onymous/abuse/difficulty.hpp>
#include <onymous/abuse/event_sink.hpp>
#include <onymous/abuse/proof_of_work.hpp>
#include <onymous/abuse/report_ledger.hpp>
#include <onymous/abuse/skip_throttle.hpp>
#include <onymous/address/ip.hpp>
#include <onymous/config/config.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace onymous::abuse {

inline constexpr std::size_t proof_result_count =
    static_cast<std::size_t>(proof_result::foreign) + 1;

/// Counters for /metrics; relaxed atomics.
struct abuse_counters {
    /// Proofs checked, by proof_result: [ok] is "verified", counted when its
    /// message is accepted (redeemed).
    std::array<std::atomic<std::uint64_t>, proof_result_count> proofs_total{};
    std::atomic<std::uint64_t> reports_counted_total{0};
    std::atomic<std::uint64_t> reports_repeated_total{0};  ///< same reporter, same address
    std::atomic<std::uint64_t> reports_ignored_over_limit_total{0};
    std::atomic<std::uint64_t> reports_ignored_self_total{0};
    std::atomic<std::uint64_t> reports_ignored_unknown_total{0};  ///< an address not known
    std::atomic<std::uint64_t> skips_refused_total{0};
};

/// How much state each table may hold (see each leaf's bound).
inline constexpr std::size_t tracked_addresses_max = std::size_t{1} << 16;

class controls {
public:
    using time_point = std::chrono::steady_clock::time_point;
    using wall_time = std::chrono::system_clock::time_point;

    /// Keys given: tests. `day` is address_hasher::day_of() of the key's day.
    controls(const config::abuse_settings& s, const pow_key& pow, const address::hash_key& address,
             std::int64_t day);
    /// Random keys for this process's life.
    explicit controls(const config::abuse_settings& s);
    controls(const controls&) = delete;
    controls& operator=(const controls&) = delete;

    /// A reload's abuse settings; what is counted stays.
    void configure(const config::abuse_settings& s);
    config::abuse_settings settings() const;
    /// abuse.pow_bits > 0.
    bool proof_of_work_on() const { return pow_on_.load(std::memory_order_relaxed); }

    /// The name of `client` for everything below; never 0.
    std::uint64_t hash(const address::ip& client, wall_time now);

    /// A `next` from `address` (the skip throttle); always allowed for 0.
    skip_decision on_next(std::uint64_t address, time_point now);
    /// The report ledger's verdict on `address`; normal for 0.
    address_status status(std::uint64_t address, time_point now);
    /// `reporter` reports `reported`; counted in the metrics.
    report_outcome report(std::uint64_t reporter, std::uint64_t reported, time_point now);

    /// A fresh challenge for a session of `address` at the difficulty the
    /// load and the address call for; nullopt while proof of work is off.
    std::optional<challenge> issue(std::uint64_t address, time_point now);
    /// Checks `proof` against the challenge `prefix`; a refusal is counted
    /// by reason. The caller redeems an ok proof by replacing the challenge
    /// (proof_of_work.hpp).
    proof_result check(std::string_view prefix, std::span<const std::string> proof, time_point now);
    /// An ok proof's message was accepted: counted as verified.
    void count_redeemed();
    /// An accepted join or next: the load term of the difficulty.
    void record_join(time_point now) { joins_.record(now); }

    // Cluster mode (cluster/node).
    /// Where counted events go from now on; null: nowhere (single node, or
    /// the node is going away).
    void share_with(event_sink* sink);
    /// The address key of `now`'s day and that day, to offer the cluster.
    std::pair<std::int64_t, address::hash_key> address_key(wall_time now) {
        return hasher_.current(now);
    }
    /// The cluster's address key: from now on addresses hash as on every
    /// node. Sessions hashed before keep their hash.
    void adopt_address_key(const address::hash_key& key, std::int64_t day) {
        hasher_.adopt(key, day);
    }
    /// A `next` another node counted: the throttle counts it as its own
    /// (same rule, same sequence, so the nodes agree); not in this node's
    /// metrics, which count what this node decided.
    void count_elsewhere_skip(std::uint64_t address, time_point now);
    /// A report another node counted, at `at` (now, or its time in the
    /// cluster's log for a node that starts).
    void count_elsewhere_report(std::uint64_t reporter, std::uint64_t reported, time_point at);

    /// Addresses shadowed and suspended now (gauges).
    memory_report_ledger::standings standings(time_point now) const {
        return ledger_.count_standings(now);
    }
    const abuse_counters& counters() const { return counters_; }

private:
    mutable std::mutex mutex_;  ///< settings_ only
    config::abuse_settings settings_;
    std::atomic<bool> pow_on_;
    address_hasher hasher_;
    memory_report_ledger ledger_;
    skip_throttle throttle_;
    proof_of_work pow_;
    join_rate joins_;
    abuse_counters counters_;
    std::mutex sink_mutex_;  ///< sink_ only: held while an event is handed over
    event_sink* sink_ = nullptr;
};

}  // namespace onymous::abuse
