#pragma once
// The sequenced messages a session has sent and the client has not yet
// acknowledged, kept so that a resume can re-send what the client missed
// (PROTOCOL.md, Resume and Acknowledgements).
//
// An ack forgets everything up to its seq. Of what remains, the messages
// already written to the connection are bounded by limits.max_unacked_bytes:
// past it the oldest of them go (not from the connection), and a resume from
// before them can no longer be served. The bound counts what holding a
// message costs, not only its text: each one also holds a shared block and a
// slot here (per_message_overhead), which for a client that never acks was a
// fifth of the memory its history took. A message not yet written stays: the
// connection's own bound (limits.max_outbound_bytes) covers it, and in the
// resume grace the session bounds it (unhanded_bytes()).
//
// "Written" needs no call back from the connection: a message handed to it
// shares its frame with the connection's queue, and once the history holds
// the only reference, the connection is done with it (written, or dropped
// with a connection that is gone). The count is read on the session's
// thread; the connection only ever lowers it, so a stale read only delays a
// trim to the next change.

#include <onymous/memory/small_fifo.hpp>
#include <onymous/session/transport.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace onymous::session {

class history {
public:
    /// What holding one message costs the heap beside its text, as the
    /// bound counts it: the frame's shared block (control block, charging
    /// allocator and string object: one 80-byte allocation), the malloc
    /// header and rounding of the text (about 16), and the message's slot
    /// here (24 bytes, and the ring's spare slots: about 4 more per message
    /// at 110 held). Measured with heaptrack on bench/memory's churn without
    /// acks.
    static constexpr std::size_t message_overhead = 128;

    /// Adds what it holds to `gauge` (/metrics), if given. The frames
    /// themselves are charged to the budget when made (memory::charged_text).
    /// Written messages are bounded by `max_unacked_bytes` counting each one
    /// as its size plus `per_message_overhead` (the session passes
    /// message_overhead); bytes() and the gauge count the texts only.
    explicit history(std::size_t max_unacked_bytes, std::atomic<std::uint64_t>* gauge = nullptr,
                     std::size_t per_message_overhead = 0)
        : max_unacked_bytes_(max_unacked_bytes),
          per_message_overhead_(per_message_overhead),
          gauge_(gauge) {}
    ~history() { clear(); }
    history(const history&) = delete;
    history& operator=(const history&) = delete;

    /// Appends `text` as message `seq` (one above the last), then trims.
    void push(std::uint64_t seq, frame text);
    /// Every message up to `seq` has been handed to a connection.
    void handed(std::uint64_t seq);
    /// The client has every message up to `seq`: they go. Cumulative: an
    /// ack at or below an earlier one changes nothing. The caller refuses
    /// one above the newest seq sent.
    void acknowledge(std::uint64_t seq);
    /// Drops the oldest written messages while over the bound.
    void trim();
    /// Forgets everything (the session ended).
    void clear();

    /// True when every message after `last_seq` up to the newest (`newest`)
    /// is still held: a resume from `last_seq` can be served.
    bool holds_after(std::uint64_t last_seq, std::uint64_t newest) const {
        if (last_seq > newest) return false;  // the client claims what was never sent
        if (last_seq == newest) return true;  // nothing to re-send
        // Acknowledged or trimmed messages are gone from the front.
        return !entries_.empty() && entries_.front().seq <= last_seq + 1;
    }

    /// Calls `fn(text)` for every held message with seq > `last_seq`, in order.
    template <class Fn>
    void each_after(std::uint64_t last_seq, Fn&& fn) const {
        for (const auto& e : entries_)
            if (e.seq > last_seq) fn(e.text);
    }

    std::size_t bytes() const { return bytes_; }
    std::size_t size() const { return entries_.size(); }
    /// Bytes of the messages not yet handed to any connection (the grace).
    std::size_t unhanded_bytes() const { return unhanded_bytes_; }
    /// What the messages already handed to a connection cost, as the bound
    /// counts them: their texts plus per_message_overhead each.
    std::size_t written_cost() const {
        return bytes_ - unhanded_bytes_ +
               (entries_.size() - unhanded_count_) * per_message_overhead_;
    }
    /// The highest seq acknowledged so far.
    std::uint64_t acked() const { return acked_; }

private:
    struct entry {
        std::uint64_t seq;
        frame text;
    };
    void pop_oldest();

    std::size_t max_unacked_bytes_;
    std::size_t per_message_overhead_;
    std::atomic<std::uint64_t>* gauge_;
    std::size_t bytes_ = 0;
    std::size_t unhanded_bytes_ = 0;
    std::size_t unhanded_count_ = 0;
    std::uint64_t handed_ = 0;
    std::uint64_t acked_ = 0;
    memory::small_fifo<entry> entries_;
};

}  // namespace onymous::session
