#include "net/accept_loop.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <system_error>

namespace onymous::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto accept_backoff = std::chrono::milliseconds(100);

/// Out of descriptors or buffers: accepting again at once would spin.
bool is_resource_exhaustion(const error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
           ec == asio::error::no_memory ||
           ec == error_code(ENFILE, boost::system::system_category());
}

}  // namespace

tcp::acceptor open_acceptor(asio::io_context& io, const std::string& address, std::uint16_t port) {
    const tcp::endpoint endpoint(asio::ip::make_address(address), port);
    tcp::acceptor acceptor(io);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    // "::" serves IPv4 too (as IPv4-mapped addresses), as the sample
    // configuration with a single "::" listener expects.
    if (endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(false));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    return acceptor;
}

tcp::acceptor adopt_acceptor(asio::io_context& io, int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        throw std::system_error(errno, std::generic_category(), "getsockname");
    const auto protocol = address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
    return tcp::acceptor(io, protocol, fd);
}

accept_loop::accept_loop(tcp::acceptor acceptor, socket_handler on_socket, context_chooser choose)
    : acceptor_(std::move(acceptor)),
      backoff_(acceptor_.get_executor()),
      on_socket_(std::move(on_socket)),
      choose_(std::move(choose)) {}

void accept_loop::start() { do_accept(); }

void accept_loop::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ignored;
        self->acceptor_.close(ignored);
        self->backoff_.cancel();
    });
}

void accept_loop::do_accept() {
    auto handler = [self = shared_from_this()](error_code ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
    };
    // The socket is created on the io_context that will own the connection.
    if (choose_)
        acceptor_.async_accept(choose_(), std::move(handler));
    else
        acceptor_.async_accept(std::move(handler));
}

void accept_loop::on_accept(error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopped
    if (is_resource_exhaustion(ec)) {
        back_off(ec);
        return;
    }
    if (ec) {
        // Typically a connection reset before it was accepted: nothing to wait for.
        spdlog::debug("accept failed: {}", ec.message());
        do_accept();
        return;
    }
    if (exhausted_) {
        exhausted_ = false;
        spdlog::warn("accepting connections again");
    }
    on_socket_(std::move(socket));
    do_accept();
}

void accept_loop::back_off(error_code ec) {
    // Once per episode: a full descriptor table lasts for a while.
    if (!exhausted_)
        spdlog::error("accept failed: {}; retrying every {} ms", ec.message(),
                      accept_backoff.count());
    exhausted_ = true;
    backoff_.expires_after(accept_backoff);
    backoff_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec) self->do_accept();
    });
}

}  // namespace onymous::net
