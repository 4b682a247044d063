#pragma once
// The Redis client of cluster mode: one connection for commands, one for
// Pub/Sub, and Lua scripts run by their SHA1. hiredis parses and formats
// RESP (redis/resp.hpp); the sockets, the deadlines and the reconnections
// are Asio's, on one io_context (docs/architecture.md, The Redis client).
//
// Threading: everything here belongs to the io_context it was made with, and
// that io_context must be run by one thread (the cluster thread). Every
// function is called on that thread, and every handler and callback runs on
// it; nothing here is safe to call from another thread: post to the
// io_context instead. Destroy these objects before their io_context.
//
// Callbacks may call back into the object that calls them (command(),
// stop(), restart()). They may destroy it too, except on_message, which must
// post the destruction: nothing runs after destruction. A handler or
// callback never runs inside command(), start() or a constructor.

#include "endpoint.hpp"
#include "reply.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::redis {

struct options {
    std::chrono::milliseconds connect_timeout{1000};  ///< resolve + connect + AUTH + PING
    std::chrono::milliseconds command_timeout{1000};  ///< per command, from when it was sent
    std::chrono::milliseconds backoff_min{100};
    std::chrono::milliseconds backoff_max{5000};  ///< reconnect backoff, doubling, with jitter
};

/// One Redis connection for commands, on one io_context (whose thread alone calls it).
/// Connects (and AUTHs) on start(), reconnects with backoff whenever the
/// connection is lost. Replies come back in order.
///
/// "Connected" means that Redis answered: the handshake is AUTH when the
/// endpoint has a password, then PING, under connect_timeout, so a stopped
/// server whose kernel still accepts connections, or one still loading its
/// data, is not connected.
class connection {
public:
    using reply_handler = std::function<void(std::optional<reply>)>;  ///< nullopt: no reply
    connection(boost::asio::io_context& io, endpoint where, options opts = {});
    ~connection();  ///< no handler runs after destruction (pending ones are destroyed uncalled)
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Connects; does nothing when already started. Again after stop().
    void start();
    /// Closes; pending handlers get nullopt before it returns; no reconnect; no on_disconnected.
    void stop();
    /// Sends one command (binary-safe arguments). The handler gets the reply, or nullopt when
    /// not connected, when the connection is lost before the reply, or when command_timeout
    /// passes (the connection is then dropped and reconnected: a late reply would be out of order).
    /// An error reply is a reply. An empty argv gets nullopt and sends nothing.
    void command(std::vector<std::string> argv, reply_handler handler);
    bool connected() const;
    /// Commands sent and not answered yet.
    std::size_t pending() const;

    /// Called on the io_context after each successful (re)connection (after AUTH), and after each loss.
    /// on_disconnected follows each on_connected once (not after stop()), after the
    /// pending handlers got their nullopt.
    std::function<void()> on_connected;
    std::function<void()> on_disconnected;

private:
    class impl;
    std::shared_ptr<impl> impl_;
};

/// The Pub/Sub side: a dedicated connection that SUBSCRIBEs to `channels` (again after each
/// reconnection) and hands every message to on_message. Same reconnect/backoff behaviour.
/// The SUBSCRIBE confirmations are due within command_timeout; past it, or on an error reply,
/// the connection is dropped and made again.
class subscriber {
public:
    subscriber(boost::asio::io_context& io, endpoint where, std::vector<std::string> channels,
               options opts = {});
    ~subscriber();
    subscriber(const subscriber&) = delete;
    subscriber& operator=(const subscriber&) = delete;

    void start();
    void stop();              ///< closes; no reconnect; no on_disconnected
    bool subscribed() const;  ///< connected and every SUBSCRIBE confirmed
    /// Each message, in the order Redis sent them; the views live for the call only.
    /// It may call stop() or restart(), but must not destroy the subscriber.
    std::function<void(std::string_view channel, std::string_view payload)> on_message;
    std::function<void()> on_subscribed;  ///< every channel confirmed (after each reconnection)
    /// The subscription was lost (follows each on_subscribed once; not after stop()). Messages
    /// published from now until the next on_subscribed are lost: Redis keeps none for us.
    std::function<void()> on_disconnected;
    /// Drops the connection and reconnects (the cluster's liveness probe found the subscription
    /// dead while the socket looked fine). Reconnects at once, without backoff; on_disconnected
    /// runs inside it when the subscription was up. Does nothing when not started.
    void restart();

private:
    class impl;
    std::shared_ptr<impl> impl_;
};

/// A connection that only publishes, with replies turned off (CLIENT REPLY
/// OFF, sent right after the handshake): the node is not woken for a reply
/// it has no use for, and Redis does not write one. Nothing tells whether a
/// message arrived, so this is for messages whose receiver acknowledges them
/// end to end (the cluster's relay, docs/architecture.md). A loss of the
/// connection is found by a failed write or the peer's close, and it
/// reconnects as connection does; a connection that takes messages and
/// delivers none can only be found by its user (the cluster publishes its
/// heartbeat here and listens for it: restart()). Unsent bytes are bounded:
/// past max_unsent_bytes, Redis is not reading, and the connection is
/// dropped and made again (what was queued is lost, as on any loss). A Redis
/// that refuses REPLY OFF (an ACL, a renamed command) still gets the
/// messages: its replies are read and dropped, with a warning.
class publisher {
public:
    static constexpr std::size_t max_unsent_bytes = std::size_t{8} << 20;

    publisher(boost::asio::io_context& io, endpoint where, options opts = {});
    ~publisher();
    publisher(const publisher&) = delete;
    publisher& operator=(const publisher&) = delete;

    void start();
    void stop();  ///< closes; what was not written yet is dropped
    /// Queues PUBLISH channel payload. False, and nothing sent, when not connected.
    bool publish(std::string channel, std::string payload);
    bool connected() const;
    /// Every message published has been written to the socket.
    bool flushed() const;
    /// Drops the connection and connects again at once (nothing when not started).
    void restart();

    /// As connection's: after each (re)connection, and after each loss.
    std::function<void()> on_connected;
    std::function<void()> on_disconnected;

private:
    class impl;
    std::shared_ptr<impl> impl_;
};

/// A Lua script loaded once per connection and run with EVALSHA, falling back to EVAL on NOSCRIPT.
/// EVAL loads the script into the server's cache, so the next runs are EVALSHA again. A run that
/// falls back executes after the commands sent between its EVALSHA and the NOSCRIPT reply.
class script {
public:
    explicit script(std::string source);  ///< computes the SHA1 itself (OpenSSL)
    /// The handler gets the script's reply (an error reply when the script fails), or nullopt as
    /// for connection::command. It does not run if `c` is destroyed first.
    void run(connection& c, std::vector<std::string> keys, std::vector<std::string> args,
             connection::reply_handler handler) const;
    const std::string& sha1() const;  ///< 40 lowercase hex digits, as SCRIPT LOAD answers
    const std::string& source() const { return *source_; }

private:
    std::shared_ptr<const std::string> source_;
    std::string sha1_;
};

}  // namespace onymous::redis
