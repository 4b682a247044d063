#pragma once
// The operator's plain-HTTP endpoint (admin.address:admin.port):
//   GET /healthz  200 while every event loop answers, else 503
//   GET /readyz   200 while it accepts new sessions; 503 before the
//                 listeners are up and when shutting down
//   GET /metrics  Prometheus text format
// Bind it to loopback or a private network: it is not meant for the public.
// It runs on the daemon's control thread, apart from the workers, and no
// code of the public listeners' request handling runs here.

#include "net/accept_loop.hpp"
#include "net/server_context.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>

namespace onymous::admin {

class admin_server {
public:
    /// Binds at once; throws std::system_error when it cannot.
    admin_server(net::server_context& ctx, boost::asio::io_context& io);

    boost::asio::ip::tcp::endpoint local_endpoint() const { return accept_->local_endpoint(); }
    void start();
    /// Closes the acceptor; requests already accepted are answered. Any thread.
    void stop();

private:
    std::shared_ptr<net::accept_loop> accept_;
};

/// The /metrics body.
std::string render_metrics(const net::server_context& ctx);

}  // namespace onymous::admin
