#pragma once
// The process-wide bound on buffered bytes (limits.max_buffered_bytes): the
// sum over every connection and session of queued outbound bytes, resume
// history and held read buffers. Each holder charges an `account`; the
// budget keeps the sum in one counter. A server message is charged once,
// when it is made (charged_text): the history and the connection's queue
// share it, and its bytes are given back when the last of them lets go. Above the limit, the largest account
// is evicted (its owner closes it with 1008), and again, until the sum is
// back under; above 90 % the daemon refuses newcomers. This is Redis's client
// eviction (maxmemory-clients): only holders past a size threshold are
// listed as candidates, so the common small session never takes the lock.
//
// Pure: no sockets, no threads of its own. Every function may be called
// from any thread.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace onymous::memory {

class account;

class budget {
public:
    explicit budget(std::uint64_t limit) : limit_(limit) {}
    budget(const budget&) = delete;
    budget& operator=(const budget&) = delete;

    /// A reload's new limit; applies from the next change on.
    void set_limit(std::uint64_t limit) { limit_.store(limit, std::memory_order_relaxed); }
    std::uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }
    /// Every account's bytes, summed.
    std::uint64_t used() const { return used_.load(std::memory_order_relaxed); }
    /// Above 90 % of the limit: newcomers are refused, /readyz says overloaded.
    bool nearly_full() const { return used() * 10 > limit() * 9; }
    /// Accounts evicted since start.
    std::uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
    /// Accounts large enough to be eviction candidates (for tests and metrics).
    std::size_t listed() const;

    /// Accounts at or above this many bytes are listed as eviction candidates.
    std::uint64_t listing_threshold() const;

private:
    friend class account;

    /// Called after a change left the sum at `used`: evicts the largest
    /// listed accounts until what is not already being evicted fits.
    void evict_while_over(std::uint64_t used);
    void list(account& a);
    void unlist(account& a);

    std::atomic<std::uint64_t> used_{0};
    std::atomic<std::uint64_t> limit_;
    std::atomic<std::uint64_t> evictions_{0};
    /// Bytes of accounts chosen for eviction that they have not given back yet.
    std::atomic<std::uint64_t> being_evicted_{0};
    mutable std::mutex mutex_;
    std::vector<account*> listed_;  ///< guarded by mutex_; each account knows its index
};

/// What one holder (a session, a connection) has buffered. Gives
/// everything back when destroyed.
class account {
public:
    /// `evict` is called at most once, from whichever thread pushed the sum
    /// over the limit, with the budget's lock held: it must only hand the
    /// work over (post), never release bytes on the spot.
    account(budget& b, std::function<void()> evict);
    /// For a holder that can say how to evict it only once it is fully
    /// made: on_evict() must then be called before the first byte.
    explicit account(budget& b) : budget_(b) {}
    ~account();
    void on_evict(std::function<void()> evict) { evict_ = std::move(evict); }
    account(const account&) = delete;
    account& operator=(const account&) = delete;

    void add(std::uint64_t bytes);
    void remove(std::uint64_t bytes);
    /// Moves `bytes` of this account's to `other` (a connection handed to
    /// another session): the sum does not change.
    void move_to(account& other, std::uint64_t bytes);

    std::uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
    bool evicted() const { return evicted_.load(std::memory_order_relaxed); }

private:
    friend class budget;
    void relist(std::uint64_t now_bytes);

    budget& budget_;
    std::function<void()> evict_;
    std::atomic<std::uint64_t> bytes_{0};
    /// Of the bytes held when it was chosen, what it has not given back yet.
    std::atomic<std::uint64_t> owed_{0};
    std::atomic<bool> evicted_{false};
    std::atomic<bool> listed_{false};
    std::size_t index_ = 0;  ///< in budget::listed_, guarded by the budget's mutex
};

/// `text`, charged to `a` for as long as any copy of the pointer lives.
std::shared_ptr<const std::string> charged_text(const std::shared_ptr<account>& a,
                                                std::string text);

}  // namespace onymous::memory
