#pragma once
// One accept loop for every listening socket of the daemon: accepts until
// stopped, backs off while descriptors are exhausted (logged once per
// episode), and hands each connection to a callback before any io_context
// knows it, so that refusing one costs no reactor registration.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace onymous::net {

/// A connection just accepted: a descriptor and its peer, registered with
/// no io_context yet. Closed (plainly) if neither refused nor adopted.
class accepted_connection {
public:
    accepted_connection(int fd, const boost::asio::ip::tcp::endpoint& peer) noexcept
        : fd_(fd), peer_(peer) {}
    accepted_connection(accepted_connection&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)), peer_(other.peer_) {}
    accepted_connection& operator=(accepted_connection&&) = delete;
    ~accepted_connection();

    const boost::asio::ip::tcp::endpoint& peer() const noexcept { return peer_; }
    int native_handle() const noexcept { return fd_; }

    /// Closes with a reset (SO_LINGER 0), as HAProxy's "connection reject"
    /// does: no FIN exchange, and no TIME_WAIT socket left in the kernel
    /// for each connection of a flood.
    void reset() noexcept;
    /// Hands the descriptor to a socket on `io`. When the reactor cannot take
    /// it, `ec` says why, the descriptor is closed and the socket is not open.
    boost::asio::ip::tcp::socket adopt(boost::asio::io_context& io, boost::system::error_code& ec);

private:
    int fd_;
    boost::asio::ip::tcp::endpoint peer_;
};

class accept_loop : public std::enable_shared_from_this<accept_loop> {
public:
    /// Receives each accepted connection, on the acceptor's executor.
    using connection_handler = std::function<void(accepted_connection)>;

    /// Takes an open, listening acceptor.
    accept_loop(boost::asio::ip::tcp::acceptor acceptor, connection_handler on_connection);
    accept_loop(const accept_loop&) = delete;
    accept_loop& operator=(const accept_loop&) = delete;

    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

    /// Starts accepting; call once.
    void start();
    /// Closes the acceptor; connections already handed over go on. Any thread.
    void stop();

private:
    void wait_ready();
    void accept_ready();
    void back_off(const boost::system::error_code& ec);

    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
    connection_handler on_connection_;
    bool exhausted_ = false;  ///< accept is failing for lack of descriptors
};

/// Opens, binds and listens on `address:port` (IPv6 "::" is dual-stack);
/// throws std::system_error when it cannot.
boost::asio::ip::tcp::acceptor open_acceptor(boost::asio::io_context& io,
                                             const std::string& address, std::uint16_t port);

/// Takes a listening TCP socket that was passed in (socket activation).
boost::asio::ip::tcp::acceptor adopt_acceptor(boost::asio::io_context& io, int fd);

}  // namespace onymous::net
