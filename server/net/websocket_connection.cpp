// One WebSocket connection: the transport a signaling session attaches to.
// One reader, one writer, one bounded outbound queue, and one timer for
// pings, the idle timeout and the close deadline. Its life is one explicit
// status (handshaking → open → closing → close_sent → closed); every close
// has a deadline (limits.close_timeout), past which the socket is aborted.

#include "net/websocket_connection.hpp"

#include "net/header_tokens.hpp"

#include <onymous/session/signaling_session.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <openssl/ssl.h>
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

/// What the end of a connection means for its session.
enum class ending : std::uint8_t {
    ends_session,  ///< a close frame, or a close for the client's own fault
    drop,          ///< lost without one (or idle): the resume grace applies
};

/// A read error's meaning for the session. A WebSocket closing handshake
/// took place when Beast reports one of its own errors (`closed`: the
/// client's close frame; the others: the client's protocol faults, 1007,
/// 1009, ..., which Beast answered with a close), when a close frame came in,
/// or when Beast had begun the TLS teardown it only starts after a close
/// (the TLS stream then ends with an error of that teardown, e.g. the
/// client's close frame arriving after our close_notify). Anything else is
/// the network: a drop.
template <class Stream>
ending ending_of(const error_code& ec, websocket::stream<Stream>& ws) {
    if (ec.category() == make_error_code(websocket::error::closed).category())
        return ending::ends_session;
    if (ws.reason().code != websocket::close_code::none) return ending::ends_session;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
        if (SSL_get_shutdown(ws.next_layer().native_handle()) & SSL_SENT_SHUTDOWN)
            return ending::ends_session;
    }
    return ending::drop;
}

template <class Stream>
class websocket_connection final
    : public session::transport,
      public closable,
      public std::enable_shared_from_this<websocket_connection<Stream>> {
public:
    websocket_connection(Stream&& stream, server_context& ctx, worker& w, connection_slot slot)
        : ws_(std::move(stream)),
          ctx_(ctx),
          worker_(w),
          slot_(std::move(slot)),
          timer_(ws_.get_executor()) {}

    void run(upgrade_request request) {
        const auto& limits = slot_.limits();
        ws_.read_message_max(limits.max_message_bytes);
        ws_.auto_fragment(false);
        // Beast's own timer only bounds the opening handshake; pings, the
        // idle timeout and the close deadline are ours.
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = limits.handshake_timeout;
        timeouts.idle_timeout = websocket::stream_base::none();
        timeouts.keep_alive_pings = false;
        ws_.set_option(timeouts);
        // Several Sec-WebSocket-Protocol lines count as one list.
        const bool select = header_lists_token(request, http::field::sec_websocket_protocol,
                                               protocol::subprotocol, token_case::sensitive);
        ws_.set_option(websocket::stream_base::decorator([select](websocket::response_type& res) {
            res.set(http::field::server, "onymousd");
            if (select) res.set(http::field::sec_websocket_protocol, protocol::subprotocol);
        }));
        ws_.control_callback(
            [this](websocket::frame_type, std::string_view) { last_activity_ = steady::now(); });
        ws_.next_layer().on_teardown = [this] { close_handshake_over(); };
        worker_.add(this, this->weak_from_this());
        ws_.async_accept(request, [self = shared_self()](error_code ec) {
            self->guard([&] { self->on_accept(ec); });
        });
    }

    // --- session::transport: any thread ------------------------------------

    void send(session::frame text) override {
        on_own_thread([text = std::move(text)](websocket_connection& self) mutable {
            self.enqueue(std::move(text));
        });
    }

    void close(protocol::close_code code) override {
        on_own_thread([code](websocket_connection& self) {
            self.begin_close(code, false, ending::ends_session);
        });
    }

    void attach(std::shared_ptr<session::signaling_session> s) override {
        on_own_thread([s = std::move(s)](websocket_connection& self) mutable {
            if (self.status_ == status::closed)
                s->transport_closed(self.shared_self(), self.ending_ == ending::ends_session);
            else
                self.session_ = std::move(s);
        });
    }

    // --- closable ------------------------------------------------------------

    bool in_handshake() const override { return status_ == status::handshaking; }

    void abort() override {
        error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }

private:
    enum class status : std::uint8_t {
        handshaking,  ///< the WebSocket upgrade is being answered
        open,
        closing,     ///< our close frame waits behind the queued writes
        close_sent,  ///< the close handshake is under way (a stuck write included)
        closed,
    };

    std::shared_ptr<websocket_connection> shared_self() { return this->shared_from_this(); }
    std::shared_ptr<session::transport> as_transport() { return shared_self(); }

    template <class Fn>
    void on_own_thread(Fn&& fn) {
        if (worker_.running_in_this_thread()) {
            guard([&] { fn(*this); });
            return;
        }
        asio::post(ws_.get_executor(), [self = shared_self(), fn = std::forward<Fn>(fn)]() mutable {
            self->guard([&] { fn(*self); });
        });
    }

    /// An exception in this connection's handling closes it alone (1011).
    template <class Fn>
    void guard(Fn&& fn) {
        try {
            fn();
        } catch (const std::exception& e) {
            fail(e.what());
        } catch (...) {
            fail("unknown exception");
        }
    }

    void fail(const char* what) {
        spdlog::error("connection closed after an internal error: {}", what);
        ctx_.sessions.counters.internal_errors_total.fetch_add(1, std::memory_order_relaxed);
        try {
            begin_close(protocol::close_code::internal_error, true, ending::ends_session);
            if (session_) session_->abort(protocol::close_code::internal_error);
        } catch (...) {
            abort();  // the read in flight fails and finishes us
        }
    }

    void on_accept(error_code ec) {
        if (ec) {
            ctx_.stats.websocket_handshake_failures_total.fetch_add(1, std::memory_order_relaxed);
            status_ = status::closed;
            worker_.remove(this);
            return;  // nothing was started: the stream closes with us
        }
        status_ = status::open;
        ctx_.stats.websocket_connections.fetch_add(1, std::memory_order_relaxed);
        last_activity_ = steady::now();
        next_ping_ = last_activity_ + slot_.limits().ping_interval;
        arm_timer();
        do_read();
        // Every connection starts with a fresh session on this worker; a
        // resume as its first message may hand the connection to another.
        session_ = std::make_shared<session::signaling_session>(ctx_.sessions, worker_,
                                                                slot_.config().sessions);
        session_->start(as_transport());
    }

    // --- Reading -------------------------------------------------------------

    void do_read() {
        ws_.async_read(buffer_, [self = shared_self()](error_code ec, std::size_t) {
            self->guard([&] { self->on_read(ec); });
        });
    }

    void on_read(error_code ec) {
        last_activity_ = steady::now();
        if (ec) {
            // While closing, the meaning is the one we closed with; the
            // peer's answering close frame does not change it.
            const auto meaning = status_ == status::open ? ending_of(ec, ws_) : ending_;
            spdlog::debug("connection ended: {} ({})", ec.message(),
                          meaning == ending::drop ? "a drop" : "the session ends");
            count_close(ec);
            finish(meaning);
            return;
        }
        if (status_ == status::open) {
            if (!ws_.got_text()) {
                // The session ends now; the close handshake may take until its deadline.
                begin_close(protocol::close_code::unsupported_data, true, ending::ends_session);
                asio::post(ws_.get_executor(), [self = shared_self()] { self->report_end(); });
            } else if (session_) {
                const auto data = buffer_.cdata();
                session_->receive(
                    as_transport(),
                    std::string_view(static_cast<const char*>(data.data()), data.size()));
            }
        }
        buffer_.consume(buffer_.size());
        // Keep reading while closing: the peer's close frame ends the read.
        if (status_ != status::closed) do_read();
    }

    // --- Writing -------------------------------------------------------------

    void enqueue(session::frame text) {
        if (status_ != status::open) return;
        if (queued_bytes_ + text->size() > slot_.limits().max_outbound_bytes) {
            // The client stopped reading: memory stays bounded, it goes, and
            // its partner is told now rather than when the close handshake
            // (which a client that does not read never answers) times out.
            // Reported by a post: the session may be in the middle of a call.
            begin_close(protocol::close_code::policy, true, ending::ends_session);
            asio::post(ws_.get_executor(), [self = shared_self()] { self->report_end(); });
            return;
        }
        queued_bytes_ += text->size();
        worker_.outbound_queued(text->size(), queued_bytes_);
        queue_.push_back(std::move(text));
        if (!writing_) do_write();
    }

    void do_write() {
        writing_ = true;
        ws_.text(true);
        ws_.async_write(asio::buffer(*queue_.front()),
                        [self = shared_self()](error_code ec, std::size_t) {
                            self->guard([&] { self->on_write(ec); });
                        });
    }

    void on_write(error_code ec) {
        writing_ = false;
        if (ec) {
            // The read side sees the same broken connection and finishes.
            drop_queue();
            return;
        }
        forget_bytes(queue_.front()->size());
        queue_.pop_front();
        if (!queue_.empty() && (status_ == status::open || status_ == status::closing)) {
            do_write();
        } else if (status_ == status::closing) {
            do_close();
        }
    }

    // --- Closing -------------------------------------------------------------

    /// Closes with `code`: after what is queued, or at once (dropping it).
    void begin_close(protocol::close_code code, bool at_once, ending meaning) {
        if (status_ != status::open) return;
        status_ = status::closing;
        close_code_ = code;
        closed_by_us_ = true;
        ending_ = meaning;
        close_deadline_ = steady::now() + slot_.limits().close_timeout;
        arm_timer();
        if (at_once) {
            // Keep only a frame already being written: Beast finishes it.
            while (queue_.size() > (writing_ ? 1u : 0u)) {
                forget_bytes(queue_.back()->size());
                queue_.pop_back();
            }
        }
        if (at_once || !writing_) do_close();
    }

    /// Beast has echoed the client's close frame, or sent its own for a
    /// protocol fault (1002, 1007, 1009), and now waits for the client to
    /// finish the teardown. The session ends at once: a closed connection's
    /// partner hears partner_left now, and nobody is matched with it. Our
    /// own closes have decided their meaning already.
    void close_handshake_over() {
        if (status_ != status::open) return;
        status_ = status::close_sent;
        ending_ = ending::ends_session;
        close_deadline_ = steady::now() + slot_.limits().close_timeout;
        arm_timer();
        // Posted: Beast is in the middle of its read.
        asio::post(ws_.get_executor(), [self = shared_self()] { self->report_end(); });
    }

    void do_close() {
        status_ = status::close_sent;
        // Waits for a write in flight (Beast's write lock); the deadline
        // covers a write that never completes.
        ws_.async_close(websocket::close_reason(static_cast<std::uint16_t>(close_code_)),
                        [self = shared_self()](error_code) {
                            // The read in flight completes and finishes us.
                        });
    }

    void finish(ending meaning) {
        if (status_ == status::closed) return;
        status_ = status::closed;
        ending_ = meaning;
        timer_.cancel();
        // Here, not in the destructor: the last reference may be dropped on
        // another worker (a resumed session's), and the map is this one's.
        worker_.remove(this);
        ctx_.stats.websocket_connections.fetch_sub(1, std::memory_order_relaxed);
        // The descriptor goes now, even if a write is stuck behind it.
        abort();
        drop_queue();
        report_end();
    }

    void forget_bytes(std::size_t bytes) {
        queued_bytes_ -= bytes;
        worker_.outbound_sent(bytes);
    }

    void drop_queue() {
        queue_.clear();
        worker_.outbound_sent(queued_bytes_);
        queued_bytes_ = 0;
    }

    /// closes_total: the code we closed with, else the client's, else what
    /// Beast closed with for the client's protocol fault; 1006 when the
    /// connection ended without any close frame.
    void count_close(const error_code& ec) {
        std::uint16_t code = 1006;
        if (closed_by_us_)
            code = static_cast<std::uint16_t>(close_code_);
        else if (ws_.reason().code != websocket::close_code::none)
            code = ws_.reason().code;
        else if (ec == websocket::error::message_too_big)
            code = 1009;
        else if (ec == websocket::error::bad_frame_payload)
            code = 1007;
        else if (ec == websocket::condition::protocol_violation)
            code = 1002;
        ctx_.stats.closes_total[close_slot(code)].fetch_add(1, std::memory_order_relaxed);
    }

    /// Tells the session, once, that this connection is over for it.
    void report_end() {
        if (!session_) return;
        auto s = std::move(session_);
        s->transport_closed(as_transport(), ending_ == ending::ends_session);
    }

    // --- Pings, idle timeout, close deadline ---------------------------------

    void arm_timer() {
        const auto& limits = slot_.limits();
        const bool closing = status_ == status::closing || status_ == status::close_sent;
        timer_.expires_at(closing ? close_deadline_
                                  : std::min(next_ping_, last_activity_ + limits.idle_timeout));
        timer_.async_wait([self = shared_self()](error_code ec) {
            if (!ec) self->guard([&] { self->on_timer(); });
        });
    }

    void on_timer() {
        const auto now = steady::now();
        if (status_ == status::closed) return;
        if (status_ != status::open) {
            if (now < close_deadline_) {
                arm_timer();
                return;
            }
            ctx_.stats.close_deadline_aborts_total.fetch_add(1, std::memory_order_relaxed);
            abort();  // the read in flight fails and finishes us
            return;
        }
        if (now - last_activity_ >= slot_.limits().idle_timeout) {
            // A drop for the session, detected now: its resume grace starts
            // now, not when a close that a gone client never answers ends.
            begin_close(protocol::close_code::going_away, true, ending::drop);
            report_end();
            return;
        }
        if (now >= next_ping_) {
            next_ping_ = now + slot_.limits().ping_interval;
            if (!ping_in_flight_) {
                ping_in_flight_ = true;
                ws_.async_ping(
                    {}, [self = shared_self()](error_code) { self->ping_in_flight_ = false; });
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
    std::shared_ptr<session::signaling_session> session_;  ///< null once told of the end

    status status_ = status::handshaking;
    ending ending_ = ending::drop;
    protocol::close_code close_code_ = protocol::close_code::normal;
    bool closed_by_us_ = false;  ///< close_code_ is ours
    steady::time_point close_deadline_{};

    std::deque<session::frame> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;         ///< a write is in flight (at most one)
    bool ping_in_flight_ = false;  ///< a ping is in flight (at most one)

    steady::time_point last_activity_{};
    steady::time_point next_ping_{};
};

template <class Stream>
void start(Stream&& stream, upgrade_request request, server_context& ctx, worker& w,
           connection_slot slot) {
    auto connection =
        std::make_shared<websocket_connection<Stream>>(std::move(stream), ctx, w, std::move(slot));
    connection->run(std::move(request));
}

}  // namespace

void start_websocket_connection(plain_stream stream, upgrade_request request, server_context& ctx,
                                worker& w, connection_slot slot) {
    start(std::move(stream), std::move(request), ctx, w, std::move(slot));
}

void start_websocket_connection(tls_stream stream, upgrade_request request, server_context& ctx,
                                worker& w, connection_slot slot) {
    start(std::move(stream), std::move(request), ctx, w, std::move(slot));
}

}  // namespace onymous::net
