#pragma once
// The per-address limits (limits.max_connections_per_address and
// limits.new_connections_per_address_per_minute), shared by every worker.
// Pure: the caller passes the time, so unit tests drive a manual clock.
//
// What it holds: for each client (an IPv4 address or an IPv6 /64) with a
// connection open, or one admitted in the last minute, the SipHash of the
// address under a per-process random key, a count of open connections and a
// token bucket of new connections. Nothing else, and never the address.
//
// Under contention: 64 shards chosen by the hash, each a mutex and a hash
// map; a worker holds one shard's lock for a few map operations. Workers
// admitting different clients rarely meet, and no lock is taken while
// relaying (only at admission and close).

#include <onymous/address/ip.hpp>
#include <onymous/address/keyed_hash.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace onymous::address {

struct address_limits {
    std::uint64_t max_open = 0;        ///< concurrent connections; 0 = off
    std::uint64_t new_per_minute = 0;  ///< admissions per minute; 0 = off
};

enum class admission { admitted, too_many_open, too_many_new };

class address_table {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// A place held for one admitted connection; give it back with release().
    struct ticket {
        std::uint64_t hash = 0;
    };

    address_table(address_limits limits, const hash_key& key);
    address_table(const address_table&) = delete;
    address_table& operator=(const address_table&) = delete;

    /// Counts a new connection of `client` (limit_key_of() is applied
    /// here). On admitted, `held` is set and must be released once.
    admission try_admit(const ip& client, time_point now, ticket& held);
    /// The connection of `held` has closed. Any thread.
    void release(const ticket& held, time_point now);

    /// Forgets clients with nothing open whose new-connection bucket is full
    /// again (at most a minute after their last admission). Call about once
    /// a second.
    void sweep(time_point now);

    /// Clients held (for /metrics and tests).
    std::size_t tracked() const;

    /// Seconds until `client` may connect again, for Retry-After: 1 for an
    /// open-connection refusal, the time to the next token for a rate one.
    std::uint64_t retry_after_seconds(admission refused, const ip& client, time_point now) const;

    /// A reload may change the limits; clients already held keep their
    /// counts, and the new rate applies from their next refill. Any thread.
    void set_limits(address_limits limits);
    address_limits limits() const;
    bool enabled() const {
        const auto l = limits();
        return l.max_open != 0 || l.new_per_minute != 0;
    }

private:
    struct entry {
        std::uint64_t open = 0;
        std::uint64_t level = 0;  ///< new-connection units, see address_table.cpp
        time_point last{};        ///< of the last refill
    };
    struct alignas(64) shard {
        mutable std::mutex lock;
        std::unordered_map<std::uint64_t, entry> entries;
    };
    static constexpr std::size_t shard_count = 64;

    std::uint64_t hash_of(const ip& client) const;
    shard& shard_of(std::uint64_t hash) { return shards_[hash % shard_count]; }
    const shard& shard_of(std::uint64_t hash) const { return shards_[hash % shard_count]; }
    static void refill(entry& e, time_point now, const address_limits& limits);
    static bool idle(const entry& e, time_point now, const address_limits& limits);

    std::atomic<std::uint64_t> max_open_{0};
    std::atomic<std::uint64_t> new_per_minute_{0};
    hash_key key_;
    std::array<shard, shard_count> shards_;
};

}  // namespace onymous::address
