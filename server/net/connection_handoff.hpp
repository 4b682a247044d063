#pragma once
// Connections the accept loop admitted, on their way from the control thread
// to one worker, which starts them in batches: one post per batch, not one
// per connection.
//
// Why: whatever the control thread allocates per connection lands in its own
// malloc arena, between the records Asio's reactor allocates there when a
// socket is adopted (one per descriptor, kept for reuse for the life of the
// process). A posted handler per connection (up to 64 alive at once, for a
// batch of accepts) and a heap-held place per connection, freed moments or
// minutes later, left every page of that arena pinned by a few records after
// a spike: 4.5 MB after 10,000 connections, for 1.7 MB of records. Now a
// burst leaves nothing there but the records and these two vectors, and a
// trickle one posted handler at a time, whose block the next one reuses
// (docs/performance.md, What a spike leaves).

#include "net/client_admission.hpp"
#include "net/http_session.hpp"
#include "net/server_context.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace onymous::net {

class connection_handoff : public std::enable_shared_from_this<connection_handoff> {
public:
    /// One admitted connection, adopted by the worker's reactor already.
    struct arrival {
        boost::asio::ip::tcp::socket socket;
        connection_slot slot;
        handshake_options options;
        accepted_peer peer;
    };

    connection_handoff(server_context& ctx, worker& w) : ctx_(ctx), worker_(w) {}

    worker& target() { return worker_; }

    /// Queues `a` to be started on the worker's thread; posts a start of the
    /// queue unless one is pending. Control thread.
    void push(arrival a);

private:
    /// Starts every queued arrival. Worker's thread.
    void start_queued();

    server_context& ctx_;
    worker& worker_;
    std::mutex mutex_;
    std::vector<arrival> queued_;  ///< mutex_
    bool start_posted_ = false;    ///< mutex_
    /// The batch being started; swapped with queued_, so that both keep
    /// their capacity and neither grows per batch. Worker's thread.
    std::vector<arrival> starting_;
};

}  // namespace onymous::net
