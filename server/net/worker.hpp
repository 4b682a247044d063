#pragma once
// One event-loop thread: an io_context run by exactly one thread, and the
// WebSocket sessions living on it. A session never leaves its worker, so its
// handlers never run concurrently and need no strand; other threads reach it
// only by posting to its executor.

#include <onymous/protocol/messages.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>
#include <unordered_map>

namespace onymous::net {

/// A connection the worker can close at shutdown.
class closable {
public:
    virtual ~closable() = default;
    /// Runs on the worker's thread.
    virtual void shut_down(protocol::close_code code) = 0;
};

class worker {
public:
    worker() : io_(1), guard_(io_.get_executor()) {}

    boost::asio::io_context& io() { return io_; }

    /// Runs the loop on the calling thread until release() and no work left.
    void run() { io_.run(); }
    /// Lets run() return once the outstanding work is done.
    void release() { guard_.reset(); }
    void stop() { io_.stop(); }

    // Only on this worker's thread:
    void add(closable* c, std::weak_ptr<closable> w) { sessions_.emplace(c, std::move(w)); }
    void remove(closable* c) { sessions_.erase(c); }
    std::size_t session_count() const { return sessions_.size(); }
    void shut_down_all(protocol::close_code code) {
        // Copy first: shutting a session down may remove it from the map.
        auto sessions = sessions_;
        for (auto& [raw, weak] : sessions)
            if (auto s = weak.lock()) s->shut_down(code);
    }

private:
    boost::asio::io_context io_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
    std::unordered_map<closable*, std::weak_ptr<closable>> sessions_;
};

}  // namespace onymous::net
