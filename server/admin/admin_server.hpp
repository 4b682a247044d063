#pragma once
// The operator's plain-HTTP endpoint (admin.address:admin.port):
//   GET /healthz  200 while the process serves
//   GET /readyz   200 while it accepts new sessions, 503 when shutting down
//   GET /metrics  Prometheus text format
// Bind it to loopback or a private network: it is not meant for the public.

#include "net/server_context.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace onymous::admin {

class admin_server : public std::enable_shared_from_this<admin_server> {
public:
    /// Binds at once; throws std::system_error when it cannot.
    admin_server(net::server_context& ctx, boost::asio::io_context& io);

    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void start();
    void stop();

private:
    void do_accept();

    net::server_context& ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;  ///< after a failed accept (e.g. out of descriptors)
};

/// The /metrics body.
std::string render_metrics(const net::server_context& ctx);

}  // namespace onymous::admin
