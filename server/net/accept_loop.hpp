#pragma once
// One accept loop for every listening socket of the daemon: accepts until
// stopped, backs off while descriptors are exhausted (logged once per
// episode), and hands each connection to a callback.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace onymous::net {

class accept_loop : public std::enable_shared_from_this<accept_loop> {
public:
    /// Receives each accepted socket, on the acceptor's executor.
    using socket_handler = std::function<void(boost::asio::ip::tcp::socket)>;
    /// Picks the io_context that will own the next connection's socket.
    using context_chooser = std::function<boost::asio::io_context&()>;

    /// Takes an open, listening acceptor. Without `choose`, sockets belong
    /// to the acceptor's own io_context.
    accept_loop(boost::asio::ip::tcp::acceptor acceptor, socket_handler on_socket,
                context_chooser choose = {});
    accept_loop(const accept_loop&) = delete;
    accept_loop& operator=(const accept_loop&) = delete;

    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

    /// Starts accepting; call once.
    void start();
    /// Closes the acceptor; connections already handed over go on. Any thread.
    void stop();

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
    void back_off(boost::system::error_code ec);

    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
    socket_handler on_socket_;
    context_chooser choose_;
    bool exhausted_ = false;  ///< accept is failing for lack of descriptors
};

/// Opens, binds and listens on `address:port` (IPv6 "::" is dual-stack);
/// throws std::system_error when it cannot.
boost::asio::ip::tcp::acceptor open_acceptor(boost::asio::io_context& io,
                                             const std::string& address, std::uint16_t port);

/// Takes a listening TCP socket that was passed in (socket activation).
boost::asio::ip::tcp::acceptor adopt_acceptor(boost::asio::io_context& io, int fd);

}  // namespace onymous::net
