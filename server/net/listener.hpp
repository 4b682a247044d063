#pragma once
// One public listener: accepts TCP connections and hands each to the next
// worker, which runs its TLS/HTTP handshake and WebSocket session.

#include "net/server_context.hpp"

#include <onymous/config/config.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace onymous::net {

class listener : public std::enable_shared_from_this<listener> {
public:
    /// Binds and listens at once (throws std::system_error when it cannot),
    /// so that a daemon that starts is a daemon that listens.
    listener(server_context& ctx, const config::listener& where, boost::asio::io_context& io);

    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    bool tls() const { return tls_; }

    void start();
    /// Closes the acceptor; connections already accepted go on. Any thread.
    void stop();

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket, worker& w);

    server_context& ctx_;
    bool tls_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
    bool exhausted_ = false;  ///< accept is failing for lack of descriptors
};

/// Opens, binds and listens on `address:port` (IPv6 "::" is dual-stack).
boost::asio::ip::tcp::acceptor open_acceptor(boost::asio::io_context& io,
                                             const std::string& address, std::uint16_t port);

}  // namespace onymous::net
