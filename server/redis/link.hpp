#pragma once
// One socket to Redis, the part that connection and subscriber share:
// resolve, connect, the handshake (AUTH if there is a password, then PING),
// then reads fed to hiredis's reader and writes of hiredis-formatted
// commands; a deadline timer; and, when anything fails, a close and a
// reconnection after a jittered, doubling backoff. What the replies mean is
// the subclass's.
//
//   idle ──start()──► resolving ──► connecting ──► handshaking ──PONG──► ready
//                         │               │               │                │
//                         └───────────────┴─ a failure, ──┴── a failure, ──┘
//                                            connect_timeout  command_timeout
//                                                  ▼
//                     resolving ◄──backoff── waiting
//
//   any state ──stop()──► idle; any but idle ──reconnect_now()──► resolving
//
// Lifetime: owned by a shared_ptr; every asynchronous operation holds one,
// and each completion first checks the generation it was started in: any
// close bumps it, so a completion from an earlier socket, or one that arrives
// after stop() or detach(), does nothing. Replies are dispatched one at a
// time, and the generation is checked again after each, since a subclass's
// callback may close, stop or restart the link while it runs.
//
// Threading: the io_context's one thread only (redis/client.hpp).

#include "redis/backoff.hpp"
#include "redis/client.hpp"
#include "redis/resp.hpp"

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::redis::detail {

/// Calls `owner`'s callback, if there is an owner and it has one, from a
/// copy: the callback may destroy the owner, and itself with it.
template <class Owner>
void notify(Owner* owner, std::function<void()> Owner::*callback) {
    if (owner == nullptr) return;
    const std::function<void()> copy = owner->*callback;
    if (copy) copy();
}

class link : public std::enable_shared_from_this<link> {
public:
    using clock = std::chrono::steady_clock;

    /// `role` names the link in logs ("commands", "pubsub").
    link(boost::asio::io_context& io, endpoint where, options opts, std::string_view role);
    virtual ~link();
    link(const link&) = delete;
    link& operator=(const link&) = delete;

    /// Connects; nothing when already started.
    void start();
    /// Closes, without reconnecting; on_closed(true) when it was ready.
    void stop();
    /// The owner is gone: closes, and nothing of the subclass runs again.
    void detach();
    bool detached() const { return detached_; }
    /// Redis answered the handshake on the current socket.
    bool ready() const { return state_ == state::ready; }

protected:
    boost::asio::io_context& io() { return io_; }
    const options& opts() const { return opts_; }

    /// Queues one command behind the others. Only while ready (the handshake is the link's).
    void send(const std::vector<std::string>& argv);
    /// Bytes of commands not written to the socket yet.
    std::size_t unsent_bytes() const { return queued_.size() + outgoing_.size(); }
    /// Drops the connection (the reason is logged) and reconnects after the backoff.
    void fail(const std::string& reason);
    /// Drops the connection and connects again at once. Nothing when idle.
    void reconnect_now(std::string_view why);
    /// on_deadline() runs no later than `at` (perhaps earlier: it checks what is due).
    void watch(clock::time_point at);
    /// No on_deadline() until the next watch().
    void unwatch();
    /// The connection does what it is for (ready for commands, every channel
    /// subscribed): logged, the backoff starts from its minimum again, and the
    /// next failure is a loss. Until then a failure counts as a failed
    /// attempt, so a server that accepts the handshake and refuses the rest
    /// is retried with a growing backoff, and logged once.
    void established();

    /// Redis answered the handshake.
    virtual void on_ready() = 0;
    /// A reply, in order, while ready.
    virtual void on_reply(reply answer) = 0;
    /// A ready connection closed: lost (`stopped` false) or stop() (`stopped` true).
    virtual void on_closed(bool stopped) = 0;
    /// A time given to watch() came, while ready.
    virtual void on_deadline(clock::time_point now) = 0;

private:
    enum class state : std::uint8_t { idle, resolving, connecting, handshaking, ready, waiting };
    using generic_endpoint = boost::asio::generic::stream_protocol::endpoint;

    void connect();
    void connect_to(std::vector<generic_endpoint> endpoints);
    void handshake();
    void handshake_answered(const reply& answer);
    void read();
    void received(std::size_t bytes, std::uint64_t generation);
    void write();
    void deadline_passed();
    /// Closes the socket and forgets everything of it; state idle.
    void close();
    void schedule_retry();
    void log_failure(bool was_established, const std::string& reason);

    boost::asio::io_context& io_;
    const endpoint where_;
    const options opts_;
    const std::string role_;
    boost::asio::generic::stream_protocol::socket socket_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::steady_timer deadline_;
    boost::asio::steady_timer retry_;
    reply_reader reader_;
    std::vector<char> read_buffer_;
    std::string queued_;    ///< commands not written yet
    std::string outgoing_;  ///< the bytes of the write in flight
    bool writing_ = false;
    int handshake_replies_ = 0;  ///< answers still due to the handshake (AUTH, PING)
    state state_ = state::idle;
    bool detached_ = false;
    bool established_ = false;      ///< established() on the current socket
    std::uint64_t generation_ = 0;  ///< bumped by every close
    bool deadline_armed_ = false;
    clock::time_point deadline_at_{};
    std::uint64_t deadline_serial_ = 0;  ///< bumped by every arm and disarm
    backoff backoff_;
    std::minstd_rand random_;
    std::string last_logged_;  ///< the failure last logged at warn, this episode
};

}  // namespace onymous::redis::detail
