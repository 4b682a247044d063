#include "net/listener.hpp"

#include "net/client_admission.hpp"
#include "net/connection_handoff.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

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

/// Unsent bytes the kernel may hold for one connection. A client that stops
/// reading would otherwise pin up to tcp_wmem's maximum (4 MiB) of kernel
/// memory on top of limits.max_outbound_bytes; past this the socket is not
/// writable and the rest waits in the outbound queue, which the budget sees.
/// TCP_NOTSENT_LOWAT rather than SO_SNDBUF: it bounds what sits unsent
/// without turning off the send buffer's autotuning for what is in flight.
constexpr int max_unsent_kernel_bytes = 16 * 1024;

/// Why the connection must go before a byte is read, if it must: a PROXY
/// header from a peer that is not a trusted proxy, or a direct client (not
/// a trusted proxy, no PROXY header: the peer is the client) over a limit.
std::optional<refusal> refuse_at_accept(server_context& ctx, const handshake_options& options,
                                        accepted_peer& peer, connection_slot& slot) {
    const auto& trusted = slot.config().trusted_proxies;
    const bool from_trusted = trusted.contains(peer.address);
    if (options.proxy_protocol) {
        // Only a trusted proxy may say who the client is.
        if (!trusted.empty() && !from_trusted) return refusal::untrusted_peer;
        return std::nullopt;  // the client is known after the header
    }
    if (from_trusted) return std::nullopt;  // the client is known after the request
    client_admission admission(ctx);
    if (auto why = admission.check(peer.address, slot)) return why;
    peer.counted = true;
    return std::nullopt;
}

/// One handoff per worker, in the order of server_context::workers.
using handoffs = std::vector<std::shared_ptr<connection_handoff>>;

/// Counts the connection and has its worker start its handshake, unless it
/// is refused here (reset unanswered).
void hand_over(server_context& ctx, handoffs& to, handshake_options options,
               accepted_connection connection) {
    ctx.stats.accepted_total.fetch_add(1, std::memory_order_relaxed);
    connection_slot slot(ctx.stats, ctx.snapshot());
    if (ctx.stats.open_connections.load(std::memory_order_relaxed) >
        hard_cap(slot.limits().max_connections)) {
        ctx.stats.count(refusal::hard_cap, refusal_stage::accept);
        connection.reset();
        return;
    }
    accepted_peer peer{to_ip(connection.peer().address())};
    if (const auto why = refuse_at_accept(ctx, options, peer, slot)) {
        ctx.stats.count(*why, refusal_stage::accept);
        connection.reset();  // the client sees no ServerHello
        return;
    }
    const int fd = connection.native_handle();
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    const int lowat = max_unsent_kernel_bytes;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
    connection_handoff& handoff = *to[ctx.next_worker_index()];
    error_code ec;
    tcp::socket socket = connection.adopt(handoff.target().io(), ec);
    if (ec) return;  // the worker's reactor is out of room: closed, as a failed accept was
    handoff.push({std::move(socket), std::move(slot), options, peer});
}

handoffs handoffs_to_workers(server_context& ctx) {
    handoffs all;
    for (auto& w : ctx.workers) all.push_back(std::make_shared<connection_handoff>(ctx, *w));
    return all;
}

}  // namespace

listener::listener(server_context& ctx, const config::listener& where, asio::io_context& io,
                   int passed_fd)
    : tls_(where.tls),
      accept_(std::make_shared<accept_loop>(
          passed_fd >= 0 ? adopt_acceptor(io, passed_fd)
                         : open_acceptor(io, where.address, where.port),
          [&ctx, to = handoffs_to_workers(ctx),
           options = handshake_options{where.tls, where.proxy_protocol}](
              accepted_connection connection) mutable {
              hand_over(ctx, to, options, std::move(connection));
          })) {}

void listener::start() { accept_->start(); }

void listener::stop() { accept_->stop(); }

}  // namespace onymous::net
