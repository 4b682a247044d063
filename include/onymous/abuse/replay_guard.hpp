#pragma once
// Single use of proof-of-work challenges: the challenges already redeemed,
// each remembered until it expires. Pure: the caller passes the time. Every
// function may be called from any thread (one mutex, O(1) work under it).
//
// Bounded: at most `capacity` challenges are held. Challenges expire
// pow_ttl after they were issued, so the guard holds what was redeemed in
// the last pow_ttl (abuse.pow_ttl 2m at 50 joins/s: 6000). Past capacity
// the oldest redemption is forgotten before it expires; a replay of it is
// then accepted until its expiry. That buys an attacker nothing: to push
// one challenge out it must first redeem `capacity` others, each with a
// fresh proof. About 80 bytes per challenge: capacity 1 << 18 is ~20 MiB.

#include <onymous/abuse/proof_of_work.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace onymous::abuse {

class replay_guard {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// Challenges held at most; at least 1.
    explicit replay_guard(std::size_t capacity);
    replay_guard(const replay_guard&) = delete;
    replay_guard& operator=(const replay_guard&) = delete;

    /// Whether `id` was redeemed and has not expired at `now`.
    bool redeemed(const challenge_id& id, time_point now) const;

    /// Marks `id`, valid until `expires_at`, as redeemed. False when it
    /// already was (a replay that raced the check): refuse the message then.
    /// A challenge already expired is not stored.
    bool redeem(const challenge_id& id, time_point expires_at, time_point now);

    /// Challenges held (metrics, tests).
    std::size_t size() const;
    /// Redemptions forgotten before their expiry because the guard was full.
    std::uint64_t evicted() const;

private:
    struct id_hash {
        std::size_t operator()(const challenge_id& id) const;
    };

    /// Forgets redemptions whose challenge has expired, oldest first.
    void expire(time_point now);

    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::unordered_map<challenge_id, time_point, id_hash> expiry_;
    /// In redemption order. Their expiries are in that order too while
    /// pow_ttl stays the same; after a reload shortened it, a few expire
    /// behind a later one, which only keeps them a little longer.
    std::deque<std::pair<time_point, challenge_id>> order_;
    std::uint64_t evicted_ = 0;
};

}  // namespace onymous::abuse
