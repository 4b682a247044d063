#pragma once
// One direction of a cross-node pair (issue 18, PROTOCOL.md, Relay
// guarantees): what one node sends the other for one pairing, numbered,
// acknowledged, retried, and never delivered out of order or twice.
//
//   sender:   push() numbers a message (1, 2, ...) and keeps it until ack()
//             covers it; due() says what to send again (backoff doubling from
//             retry_first to retry_max) and whether the oldest message has
//             waited past the deadline: then the pair must end, on both sides,
//             with partner_left.
//   receiver: accept() delivers exactly the next number, re-acknowledges a
//             duplicate, and calls a gap a broken pair: Pub/Sub drops
//             messages silently across a reconnection, and a message that
//             went missing must end the pair rather than vanish.
//
// Pure: the cluster thread owns one of each per cross-node pair and does the
// publishing; time is given.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace onymous::cluster {

using clock = std::chrono::steady_clock;

struct link_timing {
    std::chrono::milliseconds retry_first{100};
    std::chrono::milliseconds retry_max{1000};
    /// Past this without an ack for its oldest message, a pair ends.
    std::chrono::milliseconds deadline{3000};
};

class sender {
public:
    explicit sender(link_timing t = {}) : timing_(t) {}

    /// Numbers `text` and keeps it; returns its number (send it now).
    std::uint64_t push(std::string text, clock::time_point now);
    /// Everything up to `seq` arrived.
    void ack(std::uint64_t seq);
    /// The pair broke: what waits for an ack is given up (the other side
    /// will see a gap, or the `ended` that follows). Numbering goes on.
    void abandon() { waiting_.clear(); }

    struct resend {
        std::uint64_t seq;
        const std::string* text;  ///< valid until the next call on this sender
    };
    /// The messages whose retry is due at `now` (their next retry moves on).
    std::vector<resend> due(clock::time_point now);
    /// The oldest unacknowledged message has waited past the deadline.
    bool expired(clock::time_point now) const;
    /// When due() or expired() next has something to say.
    clock::time_point next_wake() const;

    bool idle() const { return waiting_.empty(); }
    std::size_t unacknowledged() const { return waiting_.size(); }
    std::uint64_t last_seq() const { return next_seq_ - 1; }

private:
    struct waiting {
        std::uint64_t seq;
        std::string text;
        clock::time_point first_sent;
        clock::time_point retry_at;
        std::chrono::milliseconds backoff;
    };
    link_timing timing_;
    std::uint64_t next_seq_ = 1;
    std::deque<waiting> waiting_;
};

class receiver {
public:
    enum class verdict : std::uint8_t {
        deliver,    ///< the next message: deliver it, ack it
        duplicate,  ///< seen already (a retry crossed our ack): ack again, drop
        gap,        ///< one or more went missing: the pair is broken
    };
    verdict accept(std::uint64_t seq);
    /// The highest number delivered (what an ack says).
    std::uint64_t delivered() const { return delivered_; }

private:
    std::uint64_t delivered_ = 0;
};

}  // namespace onymous::cluster
