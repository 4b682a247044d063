#include "net/listener.hpp"

#include "net/http_session.hpp"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

#include <algorithm>

namespace onymous::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

/// Connections in their handshake beyond the cap still get a 503; past this
/// many more they are closed unanswered, so that a flood cannot take every
/// descriptor.
std::uint64_t hard_cap(std::uint64_t max_connections) {
    return max_connections + std::max<std::uint64_t>(64, max_connections / 16);
}

/// The worker whose io_context the socket was accepted onto.
worker& owner_of(server_context& ctx, tcp::socket& socket) {
    auto& owner = asio::query(socket.get_executor(), asio::execution::context);
    for (auto& w : ctx.workers)
        if (&w->io() == &owner) return *w;
    return *ctx.workers.front();  // unreachable: every socket is accepted onto a worker
}

/// Counts the connection and starts its handshake on its worker, unless the
/// daemon is far over its cap.
void hand_over(server_context& ctx, handshake_options options, tcp::socket socket) {
    ctx.stats.accepted_total.fetch_add(1, std::memory_order_relaxed);
    connection_slot slot(ctx.stats.open_connections, ctx.snapshot());
    if (ctx.stats.open_connections.load(std::memory_order_relaxed) >
        hard_cap(slot.limits().max_connections)) {
        ctx.stats.refused_at_accept_total.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    worker& w = owner_of(ctx, socket);
    asio::post(w.io(),
               [&ctx, options, &w, s = std::move(socket), slot = std::move(slot)]() mutable {
                   start_http_session(std::move(s), ctx, w, std::move(slot), options);
               });
}

}  // namespace

listener::listener(server_context& ctx, const config::listener& where, asio::io_context& io,
                   int passed_fd)
    : tls_(where.tls),
      accept_(std::make_shared<accept_loop>(
          passed_fd >= 0 ? adopt_acceptor(io, passed_fd)
                         : open_acceptor(io, where.address, where.port),
          [&ctx, options = handshake_options{where.tls, where.proxy_protocol}](tcp::socket socket) {
              hand_over(ctx, options, std::move(socket));
          },
          // The socket is created on the worker that will own the connection.
          [&ctx]() -> asio::io_context& { return ctx.next_worker().io(); })) {}

void listener::start() { accept_->start(); }

void listener::stop() { accept_->stop(); }

}  // namespace onymous::net
