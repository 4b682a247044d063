#pragma once
// The matcher's single-threaded core: who waits, who is paired, deadlines and
// the random choice. Only the matcher's owner calls it, one operation at a
// time, so it takes no lock and is deterministic given the seed, the clock
// and the order of operations. It tells the peers each decision the moment
// it takes it, so decisions arrive in decision order, and a member freed
// later in the same operation (a due deadline pairs it, then its detach is
// applied) has been told while it was alive.

#include "deadline_heap.hpp"
#include "member.hpp"
#include "rng.hpp"
#include "waiter_set.hpp"

#include <onymous/match/matcher.hpp>
#include <onymous/match/peer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace onymous::match {

class pool {
public:
    using member = matcher::member;

    pool(const options& opts, matcher_stats& stats);
    ~pool();  ///< frees every member still attached
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    // The operations of matcher.hpp, with the same meaning.
    void attach(member* m);  ///< gives `m` its id; the pool owns it from now on
    void join(member* m, std::uint64_t ticket, protocol::chat_mode mode,
              const std::vector<std::string>& interests, bool shadowed);
    void next(member* m, std::uint64_t ticket, bool shadowed);
    void leave(member* m, std::uint64_t ticket);
    void detach(member* m);  ///< frees `m`
    void suspend(member* m);
    void reactivate(member* m, std::shared_ptr<peer> p);

    /// Applies every deadline due now (window ends, cooldown ends).
    void run_deadlines();
    /// A poll: the daemon's timer has fired, so it has none armed any more.
    /// Reads the clock afresh and announces the earliest deadline again,
    /// even one announced before (the timer may have fired for an older one).
    void start_poll() {
        now_.reset();
        announced_.reset();
    }
    /// After a batch of operations: tells options.wake_at about the earliest
    /// deadline if needed, stores the counters, forgets the time.
    void end_batch();

    /// Counts one applied operation (for matcher_stats::operations_total).
    void count_operation() { ++operations_; }

private:
    struct mode_index {
        waiter_set open;  ///< no interests, or their window is over
        std::unordered_map<std::string, waiter_set> by_interest;
        std::size_t empty_sets = 0;  ///< kept for reuse, swept when too many
    };

    /// The partition a waiter is listed in: its mode, and whether it is in
    /// the shadow pool. Candidates are only ever drawn from the waiter's own
    /// partition, so abuse::may_meet holds for every pairing by construction.
    mode_index& index(const member& m) {
        return modes_[static_cast<int>(m.mode) * 2 + (m.shadowed ? 1 : 0)];
    }
    /// The time of this batch: the clock is read once per batch of
    /// operations (a poll reads it afresh), and only when needed.
    clock::time_point now() {
        if (!now_) now_ = clock_();
        return *now_;
    }

    // Queue membership (pool.cpp).
    void enqueue(member* m);       ///< idle → waiting, with a new join time
    void admit(member* m);         ///< matches a waiter at once, or lists it
    void stop_waiting(member* m);  ///< waiting → idle
    void end_pairing(member* m);   ///< both idle, cooldown recorded, partner told
    void list(member* m);          ///< into its candidate sets
    void unlist(member* m);        ///< out of its candidate sets
    void open_window(member* m);   ///< into `open`: its window is over
    void announce();               ///< options.wake_at, when needed
    void publish_stats();          ///< relaxed stores into matcher_stats

    // Choice (pool_match.cpp).
    bool try_match(member* m);        ///< pairs m with a random eligible waiter
    void pair(member* a, member* b);  ///< and tells both
    void evaluate(member* m);         ///< a deadline of m's has passed
    /// Until when a and b may not meet again, if they may not now.
    std::optional<clock::time_point> excluded_until(const member& a, const member& b);

    const std::function<clock::time_point()> clock_;
    const std::chrono::milliseconds interest_timeout_;
    const std::chrono::milliseconds rematch_cooldown_;
    const std::size_t cooldown_memory_;
    const std::function<void(clock::time_point)> wake_at_;
    matcher_stats& stats_;

    rng rng_;
    mode_index modes_[4];  ///< [mode * 2 + shadowed]
    deadline_heap deadlines_;
    std::vector<member*> candidates_;  ///< scratch of try_match, kept for its capacity
    std::optional<clock::time_point> now_;
    std::optional<clock::time_point> announced_;
    member* registry_ = nullptr;

    std::uint64_t epoch_ = 0;
    std::uint64_t next_member_id_ = 1;
    std::uint64_t next_pair_id_ = 1;
    std::uint64_t waiting_[2] = {0, 0};
    std::uint64_t paired_ = 0;
    std::uint64_t pairings_ = 0;
    std::uint64_t operations_ = 0;
};

}  // namespace onymous::match
