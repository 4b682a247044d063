#pragma once
// The name the abuse controls give a client address: a 64-bit SipHash
// (address/keyed_hash) of what the per-address limits count as one client
// (address/ip's limit_key_of: IPv4, IPv4-mapped IPv6 as IPv4, IPv6 by /64),
// under a key that changes every UTC day (PROTOCOL.md, Reports: "a keyed
// hash of the reported client's address (IPv6 by /64, the key rotated
// daily)"). Pure: the caller passes the wall-clock time.
//
// Why a daily key, when address_table's per-process key would do for a
// minute: report and skip counters outlive connections (report_window,
// shadow_duration) and, in cluster mode, sit in Redis. With yesterday's key
// gone, yesterday's hashes say nothing about an address, even to whoever
// holds today's key.
//
// The keys form a one-way ratchet: key(d + 1) = SHA-256("onymous abuse
// address key" || key(d)), first 16 bytes. Today's key cannot give back an
// earlier one, and every holder of key(d) computes the same later keys, so
// cluster nodes that share one (day, key) pair through Redis agree. At the
// turn of a UTC day the hashes change: counters kept under the old key are
// no longer found, which ends shadowing and suspension early, at most once
// a day.
//
// Every function may be called from any thread (one mutex; a hash is one
// SipHash under it, a day's turn one SHA-256).

#include <onymous/address/ip.hpp>
#include <onymous/address/keyed_hash.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <utility>

namespace onymous::abuse {

class address_hasher {
public:
    using wall_time = std::chrono::system_clock::time_point;

    /// Starts with `key` as the key of `day` (day_of()): random at a single
    /// node's start, the cluster's from Redis.
    address_hasher(const address::hash_key& key, std::int64_t day);

    /// UTC days since 1970-01-01.
    static std::int64_t day_of(wall_time t);
    /// The key of the day after the one whose key is `key`.
    static address::hash_key next_key(const address::hash_key& key);

    /// The hash of `client` under `now`'s day's key; turns the key forward
    /// first if that day has come. A clock that went back keeps the key.
    std::uint64_t hash(const address::ip& client, wall_time now);

    /// The day whose key is held.
    std::int64_t day() const;

    /// The key of `now`'s day (turned forward first), with that day: what a
    /// cluster node offers the others (cluster/abuse_sharing.hpp).
    std::pair<std::int64_t, address::hash_key> current(wall_time now);
    /// Takes the cluster's (day, key) instead of this one; it is turned
    /// forward on the next hash() as any key is.
    void adopt(const address::hash_key& key, std::int64_t day);

private:
    /// Under mutex_: key_ and day_ up to `today`.
    void turn_to(std::int64_t today);

    mutable std::mutex mutex_;
    address::hash_key key_;
    std::int64_t day_;
};

}  // namespace onymous::abuse
