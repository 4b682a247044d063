// One WebSocket connection: the transport a signaling session attaches to.
// One reader, one writer, one bounded outbound queue (connection/
// outbound_queue), and one timer for pings, the idle timeout and the close
// deadline (connection/keepalive decides). Its life is one explicit status
// (handshaking → open → closing → close_sent → closed); every close has a
// deadline (limits.close_timeout), past which the socket is aborted. Its read
// buffer is charged to the process-wide budget; the frames in its queue were
// charged by the session that made them.

#include "net/websocket_connection.hpp"

#include "net/websocket_stream.hpp"

#include <onymous/connection/keepalive.hpp>
#include <onymous/connection/outbound_queue.hpp>
#include <onymous/connection/read_buffer.hpp>
#include <onymous/session/signaling_session.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace onymous::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using beast::error_code;
using steady = std::chrono::steady_clock;

namespace {

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
          timer_(ws_.get_executor()),
          account_(ctx.sessions.budget, [this] { evict(); }),
          queue_(slot_.limits().max_outbound_bytes),
          keepalive_(slot_.limits().ping_interval, slot_.limits().idle_timeout) {}

    void run(upgrade_request request) {
        set_up_stream(ws_, request, slot_.limits());
        ws_.control_callback([this](websocket::frame_type, std::string_view) {
            keepalive_.activity(steady::now());
        });
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

    void close_now(protocol::close_code code) override {
        on_own_thread([code](websocket_connection& self) { self.close_at_once(code); });
    }

    void attach(std::shared_ptr<session::signaling_session> s) override {
        on_own_thread([s = std::move(s)](websocket_connection& self) mutable {
            self.session_ = std::move(s);
            // Ended while handed over: the new session hears it at once.
            if (self.status_ == status::closed) self.report_end();
        });
    }

    // --- closable ------------------------------------------------------------

    bool in_handshake() const override { return status_ == status::handshaking; }

    void abort() override {
        error_code ignored;
        beast::get_lowest_layer(ws_).close(ignored);
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
        // Only a read's completion finishes an open connection (during the
        // handshake, the accept's does). Without one in flight (the failure
        // was in a read's completion, or in starting the next read),
        // nothing else would: finish here.
        if (!reading_ && status_ != status::handshaking) finish(ending::ends_session);
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
        keepalive_.activity(steady::now());
        arm_timer();
        do_read();
        // Every connection starts with a fresh session on this worker; a
        // resume as its first message may hand the connection to another.
        session_ = std::make_shared<session::signaling_session>(ctx_.sessions, worker_,
                                                                slot_.config().sessions);
        session_->set_address(slot_.address_hash());
        session_->start(as_transport());
    }

    // --- Reading -------------------------------------------------------------

    /// A message's first bytes (connection::first_read_bytes), then, if it
    /// is longer, the rest into a buffer grown to hold it.
    void do_read() {
        ws_.async_read_some(buffer_, connection::first_read_bytes,
                            [self = shared_self()](error_code ec, std::size_t) {
                                self->reading_ = false;
                                self->guard([&] { self->on_first_part(ec); });
                            });
        reading_ = true;
        charge_read_buffer();  // prepared when the read began
    }

    void on_first_part(error_code ec) {
        if (ec || ws_.is_message_done()) return on_read(ec);
        keepalive_.activity(steady::now());
        ws_.async_read(buffer_, [self = shared_self()](error_code ec, std::size_t) {
            self->reading_ = false;
            self->guard([&] { self->on_read(ec); });
        });
        reading_ = true;
        charge_read_buffer();
    }

    void on_read(error_code ec) {
        keepalive_.activity(steady::now());
        charge_read_buffer();
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
                close_at_once(protocol::close_code::unsupported_data);
            } else if (auto s = session_) {
                // Held across the call: a resume on this worker hands the
                // connection to another session while receive() runs.
                const auto data = buffer_.cdata();
                s->receive(as_transport(),
                           std::string_view(static_cast<const char*>(data.data()), data.size()));
            }
        }
        buffer_.consume(buffer_.size());
        // Given back after every message: one large message must not cost
        // the connection its size for life. The next read takes a fresh
        // connection::first_read_bytes, one allocation per message.
        buffer_.shrink_to_fit();
        // Keep reading while closing: the peer's close frame ends the read.
        if (status_ != status::closed)
            do_read();
        else
            charge_read_buffer();
    }

    /// The read buffer's capacity counts against the budget.
    void charge_read_buffer() {
        const auto capacity = buffer_.capacity();
        if (capacity > charged_read_bytes_)
            account_.add(capacity - charged_read_bytes_);
        else
            account_.remove(charged_read_bytes_ - capacity);
        charged_read_bytes_ = capacity;
    }

    // --- Writing -------------------------------------------------------------

    void enqueue(session::frame text) {
        if (status_ != status::open) return;
        const auto size = text->size();
        const auto result = queue_.push(std::move(text));
        if (result == connection::outbound_queue::push_result::over_limit) {
            // The client stopped reading: memory stays bounded, it goes, and
            // its partner is told now rather than when the close handshake
            // (which a client that does not read never answers) times out.
            close_at_once(protocol::close_code::policy);
            return;
        }
        worker_.outbound_queued(size, queue_.bytes());
        if (result == connection::outbound_queue::push_result::write_now) do_write();
    }

    void do_write() {
        ws_.text(true);
        ws_.async_write(asio::buffer(*queue_.front()),
                        [self = shared_self()](error_code ec, std::size_t) {
                            self->guard([&] { self->on_write(ec); });
                        });
    }

    void on_write(error_code ec) {
        // On an error the read side sees the same broken connection and
        // finishes; the queue may already be cleared by then.
        const bool go_on = !ec && (status_ == status::open || status_ == status::closing);
        const auto before = queue_.bytes();
        const bool more = queue_.complete_write(go_on);
        worker_.outbound_sent(before - queue_.bytes());
        if (ec) {
            drop_queue();
        } else if (more) {
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
        keepalive_.closing(steady::now() + slot_.limits().close_timeout);
        arm_timer();
        if (at_once) {
            // Keep only a frame already being written: Beast finishes it.
            const auto before = queue_.bytes();
            queue_.drop_waiting();
            worker_.outbound_sent(before - queue_.bytes());
        }
        if (at_once || !queue_.writing()) do_close();
    }

    /// A close for the client's own fault or the server's memory: the
    /// session ends now, and its partner hears it now rather than when the
    /// close handshake (which a client that does not read never answers)
    /// times out. Reported by a post: the session may be in the middle of a call.
    void close_at_once(protocol::close_code code) {
        if (status_ != status::open) return;
        begin_close(code, true, ending::ends_session);
        asio::post(ws_.get_executor(), [self = shared_self()] { self->report_end(); });
    }

    /// The budget chose this connection (limits.max_buffered_bytes). Called
    /// with the budget's lock held, from any thread: only posted.
    void evict() {
        asio::post(ws_.get_executor(), [weak = this->weak_from_this()] {
            if (auto self = weak.lock())
                self->guard([&] { self->close_at_once(protocol::close_code::policy); });
        });
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
        keepalive_.closing(steady::now() + slot_.limits().close_timeout);
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

    void drop_queue() {
        worker_.outbound_sent(queue_.bytes());
        queue_.clear();
    }

    void count_close(const error_code& ec) {
        const auto code =
            close_code_seen(ec, ws_, closed_by_us_ ? std::optional(close_code_) : std::nullopt);
        ctx_.stats.closes_total[close_slot(code)].fetch_add(1, std::memory_order_relaxed);
    }

    /// Tells the session, once, that this connection is over for it. A
    /// dropped connection's place goes with it: the session keeps it
    /// through its resume grace.
    void report_end() {
        if (!session_) return;
        auto s = std::move(session_);
        const bool clean = ending_ == ending::ends_session;
        s->transport_closed(as_transport(), clean, clean ? nullptr : slot_.hand_over_place());
    }

    // --- Pings, idle timeout, close deadline ---------------------------------

    void arm_timer() {
        timer_.expires_at(keepalive_.wake_at());
        timer_.async_wait([self = shared_self()](error_code ec) {
            if (!ec) self->guard([&] { self->on_timer(); });
        });
    }

    void on_timer() {
        if (status_ == status::closed) return;
        switch (keepalive_.decide(steady::now())) {
        case connection::keepalive::action::abort:
            ctx_.stats.close_deadline_aborts_total.fetch_add(1, std::memory_order_relaxed);
            abort();  // the read in flight fails and finishes us
            return;
        case connection::keepalive::action::close_idle:
            // A drop for the session, detected now: its resume grace starts
            // now, not when a close that a gone client never answers ends.
            begin_close(protocol::close_code::going_away, true, ending::drop);
            report_end();
            return;
        case connection::keepalive::action::ping:
            if (!ping_in_flight_) {
                ping_in_flight_ = true;
                ws_.async_ping(
                    {}, [self = shared_self()](error_code) { self->ping_in_flight_ = false; });
            }
            break;
        case connection::keepalive::action::wait: break;
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
    bool closed_by_us_ = false;    ///< close_code_ is ours
    bool ping_in_flight_ = false;  ///< a ping is in flight (at most one)
    bool reading_ = false;         ///< a read is in flight (at most one)

    /// The read buffer; after ws_, where its evict callback posts.
    memory::account account_;
    std::size_t charged_read_bytes_ = 0;
    connection::outbound_queue queue_;
    connection::keepalive keepalive_;
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
