#pragma once
// The matcher: pairs waiting sessions at random within a mode (and within
// the shadow pool or outside it), honouring
// interests (with their window), the re-match cooldown and resume grace.
//
// Thread model: every public function may be called from any thread at any
// time and never blocks. Calls become operations on a lock-free MPSC queue;
// whichever caller finds the matcher unowned takes ownership (one atomic
// exchange), applies every queued operation to the single-threaded pool and
// hands ownership back ("combining"). No mutex, spinlock or condition
// variable is taken on any path, and no thread waits for another. Decisions
// reach sessions through peer callbacks, made by the owner in decision
// order. A call may return before its operation is applied (the owner of the
// moment applies it), but once every call has returned, every operation has
// been applied. Operations of one thread are applied in the order it made
// them.
//
// A single thread calling these functions therefore sees every callback
// happen synchronously inside the call, which the unit tests rely on.
// See docs/architecture.md (matcher) for the design and its proofs.

#include <onymous/match/matchmaker.hpp>
#include <onymous/match/peer.hpp>
#include <onymous/protocol/messages.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace onymous::match {

using clock = std::chrono::steady_clock;

struct options {
    std::chrono::milliseconds interest_timeout{5000};
    std::chrono::milliseconds rematch_cooldown{30000};  ///< 0 = off
    /// Recent partners remembered per session for the cooldown; older ones
    /// are forgotten first. The join rate limit keeps the real count lower.
    std::size_t cooldown_memory = 128;
    std::uint64_t seed = 0;  ///< 0 = from std::random_device
    /// The clock; tests inject a manual one. Read at most once per batch of
    /// operations applied together (and afresh for poll()), only when needed.
    std::function<clock::time_point()> now = [] { return clock::now(); };
    /// Called (by the owner) whenever the earliest pending deadline (an
    /// interest window or a cooldown ending for a waiter) becomes earlier than
    /// the one announced before, or that one has passed; the daemon arms a
    /// timer to call poll() then. A later time than a pending one is only
    /// announced after a poll() (whose timer has fired), so a daemon that
    /// keeps only its earliest timer misses nothing.
    std::function<void(clock::time_point)> wake_at;
};

class matcher final : public matchmaker {
public:
    /// A session's record in the matcher. Opaque outside; created by
    /// attach(), destroyed by the matcher after detach().
    class member;

    explicit matcher(options opts);
    ~matcher() override;  ///< all members must have been detached
    matcher(const matcher&) = delete;
    matcher& operator=(const matcher&) = delete;

    /// Registers a session. The returned handle is valid until detach().
    /// A session's calls must come one at a time (its strand), or at least
    /// be ordered by happens-before.
    handle* attach(std::shared_ptr<peer> p) override;

    using matchmaker::join;
    using matchmaker::next;

    /// Queue for a partner (from idle). `ticket` is echoed in pairing::ticket.
    /// A join that is not from idle is ignored, ticket included (the session
    /// answers bad_state before calling). `shadowed` picks the partition:
    /// each mode has one for shadowed sessions and one for the others.
    void join(handle* m, std::uint64_t ticket, protocol::chat_mode mode,
              std::vector<std::string> interests, bool shadowed) override;
    /// Idle: queue again with the last join's preferences. Waiting: restart
    /// the wait and the interest window. Paired: end the pairing (the partner
    /// gets partner_left) and queue again. Ignored before any join. The
    /// shadow flag is this call's, not the last join's.
    void next(handle* m, std::uint64_t ticket, bool shadowed) override;
    /// Leave the queue or end the pairing (the partner gets partner_left).
    void leave(handle* m, std::uint64_t ticket) override;
    /// The session is gone: leave, forget its cooldown memory, free it.
    void detach(handle* m) override;

    /// Resume grace: the member keeps its place (and join time) or its
    /// pairing but cannot be chosen until reactivate().
    void suspend(handle* m) override;
    /// Back from the grace, with the new connection's peer.
    void reactivate(handle* m, std::shared_ptr<peer> p) override;

    /// Applies due interest-window and cooldown deadlines: waiters that have
    /// become eligible for each other are paired. Then announces the earliest
    /// pending deadline through options.wake_at, even if announced before.
    void poll();

    const matcher_stats& stats() const override { return stats_; }

private:
    struct operation;
    struct impl;

    /// Queues `op`, then applies the queue if no other thread is doing so.
    void submit(operation* op) noexcept;
    /// Takes ownership while it is free and applies every queued operation.
    void drain() noexcept;

    /// Written by the owner after every operation: kept off the cache line
    /// that every caller reads (impl_).
    alignas(64) matcher_stats stats_;
    alignas(64) std::unique_ptr<impl> impl_;
};

}  // namespace onymous::match
