#include "net/listener.hpp"

#include "net/http_session.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace onymous::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

/// Out of descriptors or buffers: accepting again at once would spin.
bool is_resource_exhaustion(const error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
           ec == asio::error::no_memory || ec.value() == ENFILE;
}

constexpr auto accept_backoff = std::chrono::milliseconds(100);

/// Connections in their handshake beyond the cap still get a 503; past this
/// many more they are closed unanswered, so that a flood cannot take every
/// descriptor.
std::uint64_t hard_cap(std::uint64_t max_connections) {
    return max_connections + std::max<std::uint64_t>(64, max_connections / 16);
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

listener::listener(server_context& ctx, const config::listener& where, asio::io_context& io)
    : ctx_(ctx),
      tls_(where.tls),
      acceptor_(open_acceptor(io, where.address, where.port)),
      backoff_(io) {}

void listener::start() { do_accept(); }

void listener::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ignored;
        self->acceptor_.close(ignored);
        self->backoff_.cancel();
    });
}

void listener::do_accept() {
    // The socket is created on the worker that will own the connection.
    worker& w = ctx_.next_worker();
    acceptor_.async_accept(w.io(), [self = shared_from_this(), &w](error_code ec, tcp::socket s) {
        self->on_accept(ec, std::move(s), w);
    });
}

void listener::on_accept(error_code ec, tcp::socket socket, worker& w) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
        if (is_resource_exhaustion(ec)) {
            // Once per episode: a full descriptor table lasts for a while.
            if (!exhausted_)
                spdlog::error("accept failed: {}; retrying every {} ms", ec.message(),
                              accept_backoff.count());
            exhausted_ = true;
            backoff_.expires_after(accept_backoff);
            backoff_.async_wait([self = shared_from_this()](error_code wait_ec) {
                if (!wait_ec) self->do_accept();
            });
            return;
        }
        spdlog::debug("accept failed: {}", ec.message());
        do_accept();
        return;
    }
    if (exhausted_) {
        exhausted_ = false;
        spdlog::warn("accepting connections again");
    }
    ctx_.stats.accepted_total.fetch_add(1, std::memory_order_relaxed);
    connection_slot slot(ctx_.stats.open_connections);
    if (ctx_.stats.open_connections.load(std::memory_order_relaxed) >
        hard_cap(ctx_.settings.limits.max_connections)) {
        ctx_.stats.refused_at_accept_total.fetch_add(1, std::memory_order_relaxed);
    } else {
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        asio::post(w.io(), [self = shared_from_this(), &w, s = std::move(socket),
                            slot = std::move(slot)]() mutable {
            if (self->tls_)
                start_tls_http_session(std::move(s), self->ctx_, w, std::move(slot));
            else
                start_plain_http_session(std::move(s), self->ctx_, w, std::move(slot));
        });
    }
    do_accept();
}

}  // namespace onymous::net
