#pragma once
// What a session sees of matchmaking, whoever does it: the single node's
// lock-free matcher (match/matcher.hpp), or the cluster's pool on Redis
// (cluster/cluster_matchmaker.hpp). Both keep the contract of matcher.hpp:
// every call from any thread, never blocking; decisions told through the
// peer callbacks, never synchronously inside a call that could re-enter.

#include <onymous/match/peer.hpp>
#include <onymous/protocol/messages.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace onymous::match {

/// Counters for /metrics; relaxed atomics, readable from any thread.
struct matcher_stats {
    std::atomic<std::uint64_t> waiting_text{0};
    std::atomic<std::uint64_t> waiting_video{0};
    std::atomic<std::uint64_t> paired_sessions{0};
    std::atomic<std::uint64_t> pairings_total{0};
    std::atomic<std::uint64_t> operations_total{0};
};

class matchmaker {
public:
    /// A session's handle: opaque, made by attach(), valid until detach().
    class handle {
    public:
        virtual ~handle() = default;
    };

    virtual ~matchmaker() = default;

    virtual handle* attach(std::shared_ptr<peer> p) = 0;
    /// `shadowed`: the session's address is in the shadow pool (PROTOCOL.md,
    /// Reports): it meets only other shadowed sessions, and they only it
    /// (abuse/shadow_pool.hpp). Given afresh at each join and next.
    virtual void join(handle* m, std::uint64_t ticket, protocol::chat_mode mode,
                      std::vector<std::string> interests, bool shadowed) = 0;
    virtual void next(handle* m, std::uint64_t ticket, bool shadowed) = 0;
    /// Unshadowed (the tests and benchmarks that predate the shadow pool).
    void join(handle* m, std::uint64_t ticket, protocol::chat_mode mode,
              std::vector<std::string> interests) {
        join(m, ticket, mode, std::move(interests), false);
    }
    void next(handle* m, std::uint64_t ticket) { next(m, ticket, false); }
    virtual void leave(handle* m, std::uint64_t ticket) = 0;
    virtual void detach(handle* m) = 0;
    virtual void suspend(handle* m) = 0;
    virtual void reactivate(handle* m, std::shared_ptr<peer> p) = 0;

    virtual const matcher_stats& stats() const = 0;
};

}  // namespace onymous::match
