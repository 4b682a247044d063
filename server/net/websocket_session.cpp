#include "net/websocket_session.hpp"

#include <onymous/session/credentials.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>

namespace onymous::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using beast::error_code;
using steady = std::chrono::steady_clock;

namespace {

/// True when the comma-separated Sec-WebSocket-Protocol offer names ours.
bool offers_subprotocol(std::string_view offered) {
    while (!offered.empty()) {
        const auto comma = offered.find(',');
        auto token = offered.substr(0, comma);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
        if (token == protocol::subprotocol) return true;
        if (comma == std::string_view::npos) break;
        offered.remove_prefix(comma + 1);
    }
    return false;
}

template <class Stream>
class websocket_session final : public session::signaling_session, public closable {
public:
    websocket_session(Stream&& stream, server_context& ctx, worker& w, connection_slot slot)
        : signaling_session(ctx.session, ctx.matcher),
          ws_(std::move(stream)),
          ctx_(ctx),
          worker_(w),
          slot_(std::move(slot)),
          timer_(ws_.get_executor()) {}

    void run(upgrade_request request) {
        const auto& limits = ctx_.settings.limits;
        ws_.read_message_max(limits.max_message_bytes);
        ws_.auto_fragment(false);
        // Beast's own timer only bounds the opening and closing handshakes;
        // pings and the idle timeout are ours (ping_interval, close 1001).
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = limits.handshake_timeout;
        timeouts.idle_timeout = websocket::stream_base::none();
        timeouts.keep_alive_pings = false;
        ws_.set_option(timeouts);
        const bool select = offers_subprotocol(request[http::field::sec_websocket_protocol]);
        ws_.set_option(websocket::stream_base::decorator([select](websocket::response_type& res) {
            res.set(http::field::server, "onymousd");
            if (select) res.set(http::field::sec_websocket_protocol, protocol::subprotocol);
        }));
        ws_.control_callback([this](websocket::frame_type, std::string_view) {
            last_activity_ = steady::now();
        });
        ws_.async_accept(request, [self = shared_self()](error_code ec) { self->on_accept(ec); });
    }

    void shut_down(protocol::close_code code) override { begin_close(code, false); }

protected:
    void send_text(std::string text) override {
        if (finished_ || closing_) return;
        queued_bytes_ += text.size();
        if (queued_bytes_ > ctx_.settings.limits.max_outbound_bytes) {
            // The client stopped reading: memory stays bounded, it goes, and
            // its partner is told now rather than when the close handshake
            // (which a client that does not read never answers) times out.
            // Finishing is posted: we may be inside a signaling_session call.
            queued_bytes_ -= text.size();
            begin_close(protocol::close_code::policy, true);
            post_to_self([self = shared_self()] { self->finish(true); });
            return;
        }
        queue_.push_back(std::move(text));
        if (!writing_) do_write();
    }

    void close_with(protocol::close_code code) override { begin_close(code, false); }

    void post_to_self(std::function<void()> fn) override {
        asio::post(ws_.get_executor(), std::move(fn));
    }

private:
    std::shared_ptr<websocket_session> shared_self() {
        return std::static_pointer_cast<websocket_session>(shared_from_this());
    }

    void on_accept(error_code ec) {
        if (ec) {
            ctx_.stats.handshake_failures_total.fetch_add(1, std::memory_order_relaxed);
            return;  // nothing was started: the stream closes with us
        }
        started_ = true;
        worker_.add(this, shared_self());
        ctx_.stats.websocket_sessions.fetch_add(1, std::memory_order_relaxed);
        last_activity_ = steady::now();
        next_ping_ = last_activity_ + ctx_.settings.limits.ping_interval;
        start(session::new_resume_token(),
              session::ice_servers_for_connection(ctx_.settings.ice, std::chrono::system_clock::now()));
        arm_timer();
        do_read();
    }

    // --- Reading -------------------------------------------------------------

    void do_read() {
        ws_.async_read(buffer_, [self = shared_self()](error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(error_code ec) {
        last_activity_ = steady::now();
        if (ec) {
            // websocket::error::closed: the client's close frame (or its
            // answer to ours). Anything else is a drop, including Beast's
            // own 1007/1009 closes, which it has already sent.
            finish(ec == websocket::error::closed || (closing_ && !idle_closed_));
            return;
        }
        if (!closing_) {
            if (!ws_.got_text()) {
                begin_close(protocol::close_code::unsupported_data, true);
            } else {
                const auto data = buffer_.cdata();
                on_text(std::string_view(static_cast<const char*>(data.data()), data.size()));
            }
        }
        buffer_.consume(buffer_.size());
        // Keep reading while closing: the peer's close frame ends the read.
        if (!finished_) do_read();
    }

    // --- Writing -------------------------------------------------------------

    void do_write() {
        writing_ = true;
        ws_.text(true);
        ws_.async_write(asio::buffer(queue_.front()),
                        [self = shared_self()](error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(error_code ec) {
        writing_ = false;
        if (ec) {
            // The read side sees the same broken connection and finishes.
            queue_.clear();
            queued_bytes_ = 0;
            return;
        }
        queued_bytes_ -= queue_.front().size();
        queue_.pop_front();
        if (!queue_.empty()) {
            do_write();
        } else if (close_code_ && !close_sent_) {
            do_close();
        }
    }

    // --- Closing -------------------------------------------------------------

    /// Closes with `code`: after what is queued, or at once (dropping it).
    void begin_close(protocol::close_code code, bool at_once) {
        if (finished_ || closing_) return;
        closing_ = true;
        close_code_ = code;
        if (at_once) {
            // Keep only a frame already being written: Beast finishes it.
            while (queue_.size() > (writing_ ? 1u : 0u)) {
                queued_bytes_ -= queue_.back().size();
                queue_.pop_back();
            }
        }
        if (!started_) return;
        if (at_once || !writing_) do_close();
    }

    void do_close() {
        close_sent_ = true;
        ws_.async_close(websocket::close_reason(static_cast<std::uint16_t>(*close_code_)),
                        [self = shared_self()](error_code) {
                            // The read in flight completes and finishes us.
                        });
    }

    void finish(bool session_over) {
        if (finished_) return;
        finished_ = true;
        timer_.cancel();
        if (started_) {
            worker_.remove(this);
            ctx_.stats.websocket_sessions.fetch_sub(1, std::memory_order_relaxed);
        }
        on_transport_closed(session_over);
    }

    // --- Pings and idle timeout ----------------------------------------------

    void arm_timer() {
        const auto idle_deadline = last_activity_ + ctx_.settings.limits.idle_timeout;
        timer_.expires_at(std::min(next_ping_, idle_deadline));
        timer_.async_wait([self = shared_self()](error_code ec) {
            if (!ec) self->on_timer();
        });
    }

    void on_timer() {
        if (finished_) return;
        const auto now = steady::now();
        if (now - last_activity_ >= ctx_.settings.limits.idle_timeout) {
            idle_closed_ = true;  // a drop for the session (resume applies)
            begin_close(protocol::close_code::going_away, true);
            return;
        }
        if (now >= next_ping_) {
            next_ping_ = now + ctx_.settings.limits.ping_interval;
            if (!closing_ && !ping_in_flight_) {
                ping_in_flight_ = true;
                ws_.async_ping({}, [self = shared_self()](error_code) {
                    self->ping_in_flight_ = false;
                });
            }
        }
        arm_timer();
    }

    websocket::stream<Stream> ws_;
    server_context& ctx_;
    worker& worker_;
    connection_slot slot_;
    beast::flat_buffer buffer_;
    asio::steady_timer timer_;

    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;

    bool started_ = false;  ///< the upgrade completed
    bool closing_ = false;
    bool close_sent_ = false;
    bool idle_closed_ = false;
    bool finished_ = false;
    bool ping_in_flight_ = false;
    std::optional<protocol::close_code> close_code_;

    steady::time_point last_activity_{};
    steady::time_point next_ping_{};
};

template <class Stream>
void start(Stream&& stream, upgrade_request request, server_context& ctx, worker& w,
           connection_slot slot) {
    auto session =
        std::make_shared<websocket_session<Stream>>(std::move(stream), ctx, w, std::move(slot));
    session->run(std::move(request));
}

}  // namespace

void start_websocket_session(plain_stream stream, upgrade_request request, server_context& ctx,
                             worker& w, connection_slot slot) {
    start(std::move(stream), std::move(request), ctx, w, std::move(slot));
}

void start_websocket_session(tls_stream stream, upgrade_request request, server_context& ctx,
                             worker& w, connection_slot slot) {
    start(std::move(stream), std::move(request), ctx, w, std::move(slot));
}

}  // namespace onymous::net
