#pragma once
// A connection's queue of frames to write: one write in flight at most, and
// a bound in bytes (limits.max_outbound_bytes). push() answers as uWebSockets'
// send() does (SUCCESS / BACKPRESSURE / DROPPED): started, queued behind a
// write in flight, or over the limit and not queued at all, so that no queue
// ever passes its bound and the caller chooses what to do (close with 1008).
//
// Pure: the connection (net/websocket_connection) does the writing, this
// only keeps order and counts. Its frames were charged to the budget by the
// session that made them (memory::charged_text), whatever queue holds them.

#include <onymous/memory/small_fifo.hpp>
#include <onymous/session/transport.hpp>

#include <cstddef>

namespace onymous::connection {

class outbound_queue {
public:
    enum class push_result : std::uint8_t {
        write_now,   ///< queued, and nothing was being written: write front() now
        queued,      ///< queued behind the write in flight
        over_limit,  ///< not queued: it would pass the bound
    };

    explicit outbound_queue(std::size_t max_bytes) : max_bytes_(max_bytes) {}
    ~outbound_queue() { clear(); }
    outbound_queue(const outbound_queue&) = delete;
    outbound_queue& operator=(const outbound_queue&) = delete;

    push_result push(session::frame text);

    /// The frame being written; only while writing().
    const session::frame& front() const { return frames_.front(); }
    /// The write in flight completed (well or not): its frame leaves the
    /// queue, unless clear() dropped it already. When `go_on` and frames
    /// wait, the next one is in flight at once and this returns true.
    bool complete_write(bool go_on);
    /// Keeps only the frame being written (a close at once).
    void drop_waiting();
    /// Drops every frame, the one being written included (the connection is
    /// gone; its write fails or completes into nothing).
    void clear();

    bool writing() const { return writing_; }
    bool empty() const { return frames_.empty(); }
    std::size_t size() const { return frames_.size(); }
    std::size_t bytes() const { return bytes_; }

private:
    void pop_back();
    void pop_front();

    std::size_t max_bytes_;
    memory::small_fifo<session::frame> frames_;
    std::size_t bytes_ = 0;
    bool writing_ = false;          ///< a write is outstanding
    bool front_in_flight_ = false;  ///< and frames_.front() is its frame
};

}  // namespace onymous::connection
