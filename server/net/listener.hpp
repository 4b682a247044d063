#pragma once
// One public listener: accepts TCP connections and hands each to the next
// worker, which runs its TLS/HTTP handshake and WebSocket session.

#include "net/accept_loop.hpp"
#include "net/server_context.hpp"

#include <onymous/config/config.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace onymous::net {

class listener {
public:
    /// Binds and listens at once (throws std::system_error when it cannot),
    /// so that a daemon that starts is a daemon that listens; or, with
    /// `passed_fd` >= 0, serves that listening socket (socket activation).
    listener(server_context& ctx, const config::listener& where, boost::asio::io_context& io,
             int passed_fd = -1);

    boost::asio::ip::tcp::endpoint local_endpoint() const { return accept_->local_endpoint(); }
    bool tls() const { return tls_; }

    void start();
    /// Closes the acceptor; connections already accepted go on. Any thread.
    void stop();

private:
    bool tls_;
    std::shared_ptr<accept_loop> accept_;
};

}  // namespace onymous::net
