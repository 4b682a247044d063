#include "admin/admin_server.hpp"

#include "net/http_text.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace onymous::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using beast::error_code;

namespace {

constexpr auto request_timeout = std::chrono::seconds(10);

/// One request, one response, then close: probes and scrapers need no more.
class admin_session : public std::enable_shared_from_this<admin_session> {
public:
    admin_session(tcp::socket socket, net::server_context& ctx)
        : stream_(std::move(socket)), ctx_(ctx) {}

    void run() {
        stream_.expires_after(request_timeout);
        http::async_read(stream_, buffer_, request_,
                         [self = shared_from_this()](error_code ec, std::size_t) {
                             if (!ec) self->respond();
                         });
    }

private:
    void respond() {
        auto response = std::make_shared<http::response<http::string_body>>(answer());
        // HEAD keeps GET's Content-Length but sends no body.
        if (request_.method() == http::verb::head) response->body().clear();
        http::async_write(stream_, *response,
                          [self = shared_from_this(), response](error_code, std::size_t) {
                              error_code ignored;
                              self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          });
    }

    http::response<http::string_body> answer() const {
        if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
            auto response =
                net::text_response(http::status::method_not_allowed, "method not allowed\n");
            response.set(http::field::allow, "GET, HEAD");
            return response;
        }
        const auto path = net::path_of(request_.target());
        if (path == "/healthz") {
            // The loop monitor's verdict: a wedged worker fails the probe.
            const bool healthy = ctx_.stats.stalled_loops.load(std::memory_order_relaxed) == 0;
            return healthy ? net::text_response(http::status::ok, "ok\n")
                           : net::text_response(http::status::service_unavailable,
                                                "event loop stalled\n");
        }
        if (path == "/readyz") {
            if (ctx_.shutting_down.load(std::memory_order_relaxed))
                return net::text_response(http::status::service_unavailable, "shutting down\n");
            if (!ctx_.listening.load(std::memory_order_relaxed))
                return net::text_response(http::status::service_unavailable, "starting\n");
            // Above 90 % of limits.max_buffered_bytes newcomers are refused:
            // a load balancer should send them elsewhere.
            if (ctx_.sessions.budget.nearly_full())
                return net::text_response(http::status::service_unavailable, "overloaded\n");
            // A node that lost Redis stays ready (docs/operations.md, Cluster
            // mode): when Redis is down for every node, failing readiness
            // everywhere would take the whole service off the balancer.
            if (ctx_.cluster && ctx_.cluster->degraded.load(std::memory_order_relaxed))
                return net::text_response(http::status::ok, "degraded\n");
            return net::text_response(http::status::ok, "ready\n");
        }
        if (path == "/metrics") {
            auto response = net::text_response(http::status::ok, render_metrics(ctx_));
            response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            return response;
        }
        return net::text_response(http::status::not_found, "not found\n");
    }

    beast::tcp_stream stream_;
    net::server_context& ctx_;
    beast::flat_buffer buffer_;
    http::request<http::empty_body> request_;
};

}  // namespace

admin_server::admin_server(net::server_context& ctx, asio::io_context& io)
    : accept_(std::make_shared<net::accept_loop>(
          net::open_acceptor(io, ctx.settings.admin.address, ctx.settings.admin.port),
          [&ctx, &io](net::accepted_connection connection) {
              boost::system::error_code ec;
              auto socket = connection.adopt(io, ec);
              if (!ec) std::make_shared<admin_session>(std::move(socket), ctx)->run();
          })) {}

void admin_server::start() { accept_->start(); }

void admin_server::stop() { accept_->stop(); }

}  // namespace onymous::admin
