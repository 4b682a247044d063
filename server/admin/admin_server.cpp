#include "admin/admin_server.hpp"

#include "net/listener.hpp"

#include <boost/asio/post.hpp>
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
        auto response = std::make_shared<http::response<http::string_body>>(http::status::ok, 11);
        response->set(http::field::server, "onymousd");
        response->set(http::field::content_type, "text/plain; charset=utf-8");
        response->set(http::field::cache_control, "no-store");
        const auto target = std::string_view(request_.target());
        const auto path = target.substr(0, std::min(target.find('?'), target.size()));
        if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
            response->result(http::status::method_not_allowed);
            response->set(http::field::allow, "GET, HEAD");
            response->body() = "method not allowed\n";
        } else if (path == "/healthz") {
            response->body() = "ok\n";
        } else if (path == "/readyz") {
            const bool ready = !ctx_.shutting_down.load(std::memory_order_relaxed);
            response->result(ready ? http::status::ok : http::status::service_unavailable);
            response->body() = ready ? "ready\n" : "shutting down\n";
        } else if (path == "/metrics") {
            response->set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            response->body() = render_metrics(ctx_);
        } else {
            response->result(http::status::not_found);
            response->body() = "not found\n";
        }
        response->keep_alive(false);
        response->prepare_payload();
        if (request_.method() == http::verb::head) response->body().clear();
        http::async_write(stream_, *response,
                          [self = shared_from_this(), response](error_code, std::size_t) {
                              error_code ignored;
                              self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          });
    }

    beast::tcp_stream stream_;
    net::server_context& ctx_;
    beast::flat_buffer buffer_;
    http::request<http::empty_body> request_;
};

}  // namespace

admin_server::admin_server(net::server_context& ctx, asio::io_context& io)
    : ctx_(ctx),
      acceptor_(net::open_acceptor(io, ctx.settings.admin.address, ctx.settings.admin.port)),
      backoff_(io) {}

void admin_server::start() { do_accept(); }

void admin_server::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ignored;
        self->acceptor_.close(ignored);
        self->backoff_.cancel();
    });
}

void admin_server::do_accept() {
    acceptor_.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (ec) {
            self->backoff_.expires_after(std::chrono::milliseconds(100));
            self->backoff_.async_wait([self](error_code wait_ec) {
                if (!wait_ec) self->do_accept();
            });
            return;
        }
        std::make_shared<admin_session>(std::move(socket), self->ctx_)->run();
        self->do_accept();
    });
}

}  // namespace onymous::admin
