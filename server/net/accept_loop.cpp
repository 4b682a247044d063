#include "net/accept_loop.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

namespace onymous::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto accept_backoff = std::chrono::milliseconds(100);

/// Errors of the connection being accepted, not of the listener; accept(2)
/// says to take them as EAGAIN and go on.
bool is_pending_network_error(int error) {
    switch (error) {
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH: return true;
    default: return false;
    }
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

accepted_connection::~accepted_connection() {
    if (fd_ >= 0) ::close(fd_);
}

void accepted_connection::reset() noexcept {
    if (fd_ < 0) return;
    const ::linger abort_on_close{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    ::close(std::exchange(fd_, -1));
}

tcp::socket accepted_connection::adopt(asio::io_context& io, error_code& ec) {
    tcp::socket socket(io);
    const int fd = std::exchange(fd_, -1);
    socket.assign(peer_.protocol(), fd, ec);
    if (ec) ::close(fd);
    return socket;
}

accept_loop::accept_loop(tcp::acceptor acceptor, connection_handler on_connection)
    : acceptor_(std::move(acceptor)),
      backoff_(acceptor_.get_executor()),
      on_connection_(std::move(on_connection)) {
    // accept4 below must return EAGAIN rather than block once drained.
    acceptor_.non_blocking(true);
}

void accept_loop::start() { wait_ready(); }

void accept_loop::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ignored;
        self->acceptor_.close(ignored);
        self->backoff_.cancel();
    });
}

void accept_loop::wait_ready() {
    acceptor_.async_wait(tcp::acceptor::wait_read, [self = shared_from_this()](error_code ec) {
        if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;  // stopped
        self->accept_ready();
    });
}

void accept_loop::accept_ready() {
    // Accepting by hand rather than with async_accept: a connection that is
    // refused is reset before any reactor registers it (no epoll_ctl, no
    // getpeername), and a burst is taken in one wake-up, as nginx's
    // multi_accept does. The batch is bounded so that a flood cannot keep
    // the control thread from its other work.
    constexpr int batch = 64;
    int failed = 0;
    error_code last_failure;
    for (int i = 0; i < batch; ++i) {
        if (!acceptor_.is_open()) return;  // stopped by a handler
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        const int fd = ::accept4(acceptor_.native_handle(), reinterpret_cast<sockaddr*>(&address),
                                 &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            const int error = errno;
            if (error == EAGAIN || error == EWOULDBLOCK) {
                wait_ready();  // drained: epoll is edge-triggered, so only now
                return;
            }
            if (error == EINTR) continue;
            if (is_pending_network_error(error)) {
                ++failed;
                last_failure = error_code(error, boost::system::system_category());
                continue;
            }
            // Out of descriptors or buffers, or worse: accepting again at once would spin.
            back_off(error_code(error, boost::system::system_category()));
            return;
        }
        if (exhausted_) {
            exhausted_ = false;
            spdlog::warn("accepting connections again");
        }
        tcp::endpoint peer;
        std::memcpy(peer.data(), &address, std::min<std::size_t>(length, peer.capacity()));
        peer.resize(std::min<std::size_t>(length, peer.capacity()));
        on_connection_(accepted_connection(fd, peer));
    }
    // A whole batch of failures is no longer one connection's trouble (a
    // seccomp filter answering EPERM, say): pause rather than spin.
    if (failed == batch) {
        back_off(last_failure);
        return;
    }
    // More may be waiting: go on after the other work rather than wait for
    // readiness again.
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        if (self->acceptor_.is_open()) self->accept_ready();
    });
}

void accept_loop::back_off(const error_code& ec) {
    // Once per episode: a full descriptor table lasts for a while.
    if (!exhausted_)
        spdlog::error("accept failed: {}; retrying every {} ms", ec.message(),
                      accept_backoff.count());
    exhausted_ = true;
    backoff_.expires_after(accept_backoff);
    backoff_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec && self->acceptor_.is_open()) self->accept_ready();
    });
}

}  // namespace onymous::net
