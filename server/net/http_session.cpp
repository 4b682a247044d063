#include "net/http_session.hpp"

#include "net/header_tokens.hpp"
#include "net/http_text.hpp"
#include "net/static_files.hpp"
#include "net/websocket_connection.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <onymous/address/proxy_v2.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace onymous::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using beast::error_code;

namespace {

/// Request line and headers of an upgrade are small; anything larger is
/// not a browser asking for a WebSocket.
constexpr std::uint32_t max_request_header_bytes = 8192;
/// Retry-After of a 503 for the daemon's own capacity.
constexpr std::uint64_t busy_retry_after_seconds = 10;
/// Header lines of X-Forwarded-For looked at; the header limit bounds them anyway.
constexpr std::size_t max_forwarded_for_lines = 16;

template <class Stream>
class http_session final : public closable,
                           public std::enable_shared_from_this<http_session<Stream>> {
public:
    http_session(Stream stream, server_context& ctx, worker& w, connection_slot slot,
                 bool proxy_protocol, accepted_peer peer)
        : stream_(std::move(stream)),
          ctx_(ctx),
          worker_(w),
          slot_(std::move(slot)),
          admission_(ctx),
          peer_(peer),
          proxy_protocol_(proxy_protocol),
          deadline_(stream_.get_executor()) {}

    // Only its own handlers hold it, so it dies on its worker's thread.
    ~http_session() override { worker_.remove(this); }

    /// Draining or shutting down: the handshake is abandoned.
    void abort() override {
        error_code ignored;
        beast::get_lowest_layer(stream_).close(ignored);
    }

    bool in_handshake() const override { return true; }

    void run() {
        worker_.add(this, this->weak_from_this());
        start_deadline();
        if (proxy_protocol_)
            read_proxy_header();
        else
            handshake();
    }

private:
    /// One deadline for the PROXY header, the TLS handshake and the request
    /// together (and the answer to a refused request). A timer of its own
    /// rather than tcp_stream's: the TLS layer waits on the socket directly.
    /// Past it the socket is closed, and whatever was under way fails.
    void start_deadline() {
        deadline_.expires_after(slot_.limits().handshake_timeout);
        deadline_.async_wait([weak = this->weak_from_this()](error_code ec) {
            const auto self = weak.lock();
            if (ec || !self) return;
            self->timed_out_ = true;
            self->abort();
        });
    }

    // --- PROXY protocol v2 ------------------------------------------------------

    /// Exactly the header's bytes, never one of the TLS data behind it.
    void read_proxy_header() {
        proxy_bytes_.resize(address::proxy_v2::fixed_bytes);
        asio::async_read(beast::get_lowest_layer(stream_), asio::buffer(proxy_bytes_),
                         [self = this->shared_from_this()](error_code ec, std::size_t) {
                             if (ec) return self->refuse_proxy_header();
                             self->on_proxy_fixed_part();
                         });
    }

    void on_proxy_fixed_part() {
        const auto rest = address::proxy_v2::rest_length(
            std::span<const std::uint8_t, address::proxy_v2::fixed_bytes>(proxy_bytes_.data(),
                                                                          proxy_bytes_.size()));
        if (!std::holds_alternative<std::size_t>(rest)) return refuse_proxy_header();
        proxy_bytes_.resize(address::proxy_v2::fixed_bytes + std::get<std::size_t>(rest));
        asio::async_read(beast::get_lowest_layer(stream_),
                         asio::buffer(proxy_bytes_.data() + address::proxy_v2::fixed_bytes,
                                      std::get<std::size_t>(rest)),
                         [self = this->shared_from_this()](error_code ec, std::size_t) {
                             if (ec) return self->refuse_proxy_header();
                             self->on_proxy_header();
                         });
    }

    void on_proxy_header() {
        const auto parsed = address::proxy_v2::parse(proxy_bytes_);
        if (!std::holds_alternative<address::proxy_v2::header>(parsed))
            return refuse_proxy_header();
        // LOCAL and non-IP families: the connection's own address stands.
        const auto& source = std::get<address::proxy_v2::header>(parsed).source;
        if (source) peer_.address = *source;
        std::vector<std::uint8_t>().swap(proxy_bytes_);
        // The client is known now, unless it is itself a trusted proxy
        // whose request will name it: over a limit it goes before TLS.
        if (!slot_.config().trusted_proxies.contains(peer_.address)) {
            if (const auto why = admission_.check(peer_.address, slot_)) {
                ctx_.stats.count(*why, refusal_stage::proxy_header);
                abort();
                return;
            }
            peer_.counted = true;
        }
        handshake();
    }

    /// Not a PROXY v2 header, truncated, or too slow: closed unanswered.
    void refuse_proxy_header() {
        ctx_.stats.count(refusal::proxy_header, refusal_stage::proxy_header);
        abort();
    }

    // --- TLS and HTTP -----------------------------------------------------------

    void handshake() {
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            stream_.async_handshake(asio::ssl::stream_base::server,
                                    [self = this->shared_from_this()](error_code ec) {
                                        if (ec) {
                                            auto& stats = self->ctx_.stats;
                                            (self->timed_out_ ? stats.handshake_timeouts_total
                                                              : stats.tls_handshake_failures_total)
                                                .fetch_add(1, std::memory_order_relaxed);
                                            return;
                                        }
                                        self->do_read();
                                    });
        } else {
            do_read();
        }
    }

    void do_read() {
        parser_.emplace();
        parser_->header_limit(max_request_header_bytes);
        http::async_read(
            stream_, buffer_, *parser_,
            [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(error_code ec) {
        if (ec && timed_out_) {
            // Too slow: nothing to answer.
            ctx_.stats.handshake_timeouts_total.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
            ec == asio::error::bad_descriptor || ec == asio::error::eof ||
            ec == asio::ssl::error::stream_truncated) {
            return;  // the client went away (or the server is shutting down)
        }
        if (ec) {
            ctx_.stats.http_failures_total.fetch_add(1, std::memory_order_relaxed);
            respond(http::status::bad_request, "bad request\n");
            return;
        }
        route(parser_->release());
    }

    void route(upgrade_request request) {
        if (path_of(request.target()) != "/ws") {
            // With web.root set, every other path is a static file, whatever the method.
            if (!slot_.config().settings.web.root.empty()) {
                return async_write_static(
                    stream_,
                    make_static_response(request, slot_.config().settings.web.root, ctx_.stats),
                    [self = this->shared_from_this()](error_code ec) {
                        if (!ec) self->shut_down();
                    });
            }
            ctx_.stats.http_404_total.fetch_add(1, std::memory_order_relaxed);
            respond(http::status::not_found, "not found\n");
            return;
        }
        if (!header_lists_token(request, http::field::upgrade, "websocket",
                                token_case::insensitive)) {
            respond(http::status::upgrade_required, "this endpoint only speaks WebSocket\n");
            return;
        }
        if (!beast::websocket::is_upgrade(request)) {
            respond(http::status::bad_request, "bad request\n");
            return;
        }
        if (!origin_allowed(request)) {
            ctx_.stats.http_403_total.fetch_add(1, std::memory_order_relaxed);
            ctx_.stats.count(refusal::origin, refusal_stage::request);
            respond(http::status::forbidden, "origin not allowed\n");
            return;
        }
        if (const auto why = refusal_at_request(request)) {
            ctx_.stats.http_503_total.fetch_add(1, std::memory_order_relaxed);
            ctx_.stats.count(*why, refusal_stage::request);
            const bool per_address =
                *why == refusal::per_address_open || *why == refusal::per_address_rate;
            respond(http::status::service_unavailable,
                    per_address ? "too many connections from your address, retry later\n"
                                : "server busy, retry later\n",
                    per_address ? admission_.retry_after() : busy_retry_after_seconds);
            return;
        }
        // From here on the WebSocket connection keeps its own deadlines.
        deadline_.cancel();
        start_websocket_connection(std::move(stream_), std::move(request), ctx_, worker_,
                                   std::move(slot_));
    }

    /// A client admitted before TLS may still meet a shutdown that began
    /// since. One behind a trusted proxy is named by X-Forwarded-For
    /// (several header lines are one list) and checked now.
    std::optional<refusal> refusal_at_request(const upgrade_request& request) {
        if (peer_.counted) {
            if (ctx_.shutting_down.load(std::memory_order_relaxed)) return refusal::draining;
            return std::nullopt;
        }
        std::vector<std::string_view> lines;
        const auto [first, last] = request.equal_range("X-Forwarded-For");
        for (auto field = first; field != last && lines.size() < max_forwarded_for_lines; ++field)
            lines.emplace_back(field->value().data(), field->value().size());
        peer_.counted = true;
        return admission_.check(admission_.forwarded_client(peer_.address, lines, slot_), slot_);
    }

    bool origin_allowed(const upgrade_request& request) const {
        const auto& allowed = slot_.config().settings.allowed_origins;
        if (allowed.empty()) return true;
        const auto it = request.find(http::field::origin);
        // No Origin: not a browser (PROTOCOL.md, Transport). The check keeps
        // other sites' pages out; anything else could forge the header.
        if (it == request.end()) return true;
        return std::find(allowed.begin(), allowed.end(), it->value()) != allowed.end();
    }

    void respond(http::status status, std::string_view body,
                 std::uint64_t retry_after_seconds = busy_retry_after_seconds) {
        auto response = std::make_shared<http::response<http::string_body>>(
            text_response(status, std::string(body)));
        if (status == http::status::service_unavailable)
            response->set(http::field::retry_after, std::to_string(retry_after_seconds));
        if (status == http::status::upgrade_required) {
            response->set(http::field::upgrade, "websocket");
            response->set(http::field::connection, "Upgrade, close");
        }
        http::async_write(stream_, *response,
                          [self = this->shared_from_this(), response](error_code ec, std::size_t) {
                              if (!ec) self->shut_down();
                          });
    }

    void shut_down() {
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            stream_.async_shutdown([self = this->shared_from_this()](error_code) {});
        } else {
            error_code ignored;
            stream_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        }
    }

    Stream stream_;
    server_context& ctx_;
    worker& worker_;
    connection_slot slot_;
    client_admission admission_;
    accepted_peer peer_;  ///< only until the handshake is over; never logged
    bool proxy_protocol_;
    std::vector<std::uint8_t> proxy_bytes_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    asio::steady_timer deadline_;
    bool timed_out_ = false;
};

}  // namespace

void start_http_session(asio::ip::tcp::socket socket, server_context& ctx, worker& w,
                        connection_slot slot, handshake_options options, accepted_peer peer) {
    if (options.tls) {
        // The TLS context of the configuration the connection was accepted under.
        auto& tls = *slot.config().tls;
        std::make_shared<http_session<tls_stream>>(tls_stream(std::move(socket), tls), ctx, w,
                                                   std::move(slot), options.proxy_protocol, peer)
            ->run();
    } else {
        std::make_shared<http_session<plain_stream>>(plain_stream(std::move(socket)), ctx, w,
                                                     std::move(slot), options.proxy_protocol, peer)
            ->run();
    }
}

}  // namespace onymous::net
