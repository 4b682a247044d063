// All of Beast and OpenSSL's stream code for the load generator (see
// ws_connection.hpp). One class template covers the plain and the TLS
// stream; the handle sees it through an abstract base.

#include "ws_connection.hpp"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>
#include <deque>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24  // Linux 4.2+: <linux/in.h>, absent from older glibc headers
#endif

namespace onymous::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

struct tls_client_context::state {
    ssl::context context{ssl::context::tls_client};
};

tls_client_context::tls_client_context() : state_(std::make_unique<state>()) {
    SSL_CTX* native = state_->context.native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
    SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
    // Every handshake must be a full one: no client-side session cache, so
    // no ticket is ever offered back.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
}

tls_client_context::~tls_client_context() = default;

bool is_normal_close(const error_code& ec) { return ec == websocket::error::closed; }

/// What the handle calls; the stream type is the derived class's business.
class ws_connection::impl {
public:
    virtual ~impl() = default;
    virtual void open(const connect_target& target, std::string_view path, std::string_view source,
                      int timeout_ms) = 0;
    virtual void enqueue(std::string_view view, std::string copy, bool owned) = 0;
    virtual void close() = 0;
    virtual void abort() = 0;
    std::size_t queued() const { return queue_.size(); }

    ws_connection::listener* owner_ = nullptr;

protected:
    /// One outgoing message: a view of bytes someone else keeps, or a copy.
    struct entry {
        std::string_view view;
        std::string copy;
        bool owned = false;
    };
    std::deque<entry> queue_;
};

namespace {

enum class phase { idle, opening, open, closing, closed };

using plain_ws = websocket::stream<tcp::socket>;
using tls_ws = websocket::stream<ssl::stream<tcp::socket>>;

template <class Ws>
class stream_impl final : public ws_connection::impl,
                          public std::enable_shared_from_this<stream_impl<Ws>> {
public:
    explicit stream_impl(net::io_context& ioc) requires std::is_same_v<Ws, plain_ws>
        : ws_(ioc), timer_(ioc) {}
    stream_impl(net::io_context& ioc, ssl::context& tls) requires std::is_same_v<Ws, tls_ws>
        : ws_(ioc, tls), timer_(ioc) {}

    void open(const connect_target& target, std::string_view path, std::string_view source,
              int timeout_ms) override {
        phase_ = phase::opening;
        host_ = target.host + ":" + std::to_string(target.port);
        path_ = path;
        subprotocol_ = target.subprotocol;
        error_code ec;
        auto& socket = lowest();
        socket.open(tcp::v4(), ec);
        if (ec) return fail(ec, "socket");
        if (!source.empty()) {
            // Let connect() choose the port for the whole 4-tuple: without
            // this, bind() reserves a port per source address for any
            // destination and the range runs out at ~28,000 connections.
            const int one = 1;
            ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                         sizeof one);
            socket.bind(tcp::endpoint(net::ip::make_address_v4(std::string(source), ec), 0), ec);
            if (ec) return fail(ec, "bind");
        }
        const tcp::endpoint server(net::ip::make_address_v4(target.host, ec), target.port);
        if (ec) return fail(ec, "address");
        arm_deadline(timeout_ms);
        socket.async_connect(server,
                             [self = this->shared_from_this()](error_code e) { self->on_tcp(e); });
    }

    void enqueue(std::string_view view, std::string copy, bool owned) override {
        if (phase_ == phase::closed || close_requested_) return;
        queue_.push_back({view, std::move(copy), owned});
        if (!writing_ && phase_ == phase::open) write_front();
    }

    void close() override {
        if (phase_ == phase::idle || phase_ == phase::opening) return abort();
        if (phase_ != phase::open || close_requested_) return;
        close_requested_ = true;
        if (!writing_) start_close();
    }

    void abort() override {
        if (phase_ == phase::closed) return;
        phase_ = phase::closed;
        timer_.cancel();
        error_code ignored;
        lowest().close(ignored);
    }

private:
    tcp::socket& lowest() { return beast::get_lowest_layer(ws_); }

    void arm_deadline(int timeout_ms) {
        timer_.expires_after(std::chrono::milliseconds(timeout_ms));
        timer_.async_wait([self = this->shared_from_this()](error_code ec) {
            if (ec || self->phase_ == phase::closed) return;
            // Ends whatever operation hangs; its handler reports the step.
            self->timed_out_ = true;
            error_code ignored;
            self->lowest().close(ignored);
        });
    }

    void on_tcp(const error_code& ec) {
        if (ec) return fail(ec, "connect");
        lowest().set_option(tcp::no_delay(true));
        if constexpr (std::is_same_v<Ws, tls_ws>) {
            ws_.next_layer().async_handshake(
                ssl::stream_base::client,
                [self = this->shared_from_this()](error_code e) { self->on_tls(e); });
        } else {
            upgrade();
        }
    }

    void on_tls(const error_code& ec) {
        if (ec) return fail(ec, "tls");
        upgrade();
    }

    void upgrade() {
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = std::chrono::seconds(30);
        timeouts.idle_timeout = websocket::stream_base::none();
        timeouts.keep_alive_pings = false;
        ws_.set_option(timeouts);
        ws_.set_option(
            websocket::stream_base::decorator([sub = subprotocol_](websocket::request_type& req) {
                req.set(beast::http::field::user_agent, "onymous-bench");
                if (!sub.empty()) req.set(beast::http::field::sec_websocket_protocol, sub);
            }));
        // One frame per message, masked in one buffer: the SDPs fit in 4 KiB.
        ws_.auto_fragment(false);
        ws_.read_message_max(std::size_t{1} << 20);
        ws_.text(true);
        ws_.async_handshake(
            host_, path_, [self = this->shared_from_this()](error_code e) { self->on_upgrade(e); });
    }

    void on_upgrade(const error_code& ec) {
        if (ec) return fail(ec, "upgrade");
        timer_.cancel();
        phase_ = phase::open;
        if (owner_ != nullptr) owner_->on_open({}, nullptr);
        if (phase_ != phase::open) return;  // the owner aborted
        read();
        if (!writing_ && !queue_.empty()) write_front();
        if (close_requested_ && !writing_) start_close();
    }

    void fail(const error_code& ec, const char* step) {
        const bool timed_out = timed_out_;
        abort();
        if (owner_ != nullptr)
            owner_->on_open(timed_out ? error_code(net::error::timed_out) : ec, step);
    }

    void read() {
        ws_.async_read(buffer_, [self = this->shared_from_this()](error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(const error_code& ec) {
        if (ec) {
            const int code = ec == websocket::error::closed ? ws_.reason().code : 0;
            const bool was_closed = phase_ == phase::closed;
            abort();
            if (owner_ != nullptr && !was_closed) owner_->on_closed(ec, code);
            return;
        }
        const auto data = buffer_.cdata();
        if (owner_ != nullptr)
            owner_->on_message(
                std::string_view(static_cast<const char*>(data.data()), data.size()));
        buffer_.consume(buffer_.size());
        if (phase_ == phase::open || phase_ == phase::closing) read();
    }

    void write_front() {
        writing_ = true;
        const entry& front = queue_.front();
        const auto bytes = front.owned ? net::buffer(front.copy) : net::buffer(front.view);
        ws_.async_write(bytes, [self = this->shared_from_this()](error_code ec, std::size_t) {
            self->on_write(ec);
        });
    }

    void on_write(const error_code& ec) {
        writing_ = false;
        if (!queue_.empty()) queue_.pop_front();
        if (ec || phase_ == phase::closed) return;  // the read side reports it
        if (!queue_.empty()) return write_front();
        if (close_requested_) start_close();
    }

    void start_close() {
        phase_ = phase::closing;
        arm_deadline(5000);
        ws_.async_close(websocket::close_code::normal,
                        [self = this->shared_from_this()](error_code ec) {
                            // The pending read completes with closed (or the error).
                            if (ec) self->abort();
                        });
    }

    Ws ws_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::string host_;
    std::string path_;
    std::string subprotocol_;
    phase phase_ = phase::idle;
    bool writing_ = false;
    bool close_requested_ = false;
    bool timed_out_ = false;
};

}  // namespace

ws_connection::ws_connection(net::io_context& ioc, tls_client_context* tls, listener& owner) {
    if (tls != nullptr)
        impl_ = std::make_shared<stream_impl<tls_ws>>(ioc, tls->get().context);
    else
        impl_ = std::make_shared<stream_impl<plain_ws>>(ioc);
    impl_->owner_ = &owner;
}

ws_connection::~ws_connection() {
    impl_->owner_ = nullptr;
    impl_->abort();
}

void ws_connection::open(const connect_target& target, std::string_view path,
                         std::string_view source_address, int open_timeout_ms) {
    impl_->open(target, path, source_address, open_timeout_ms);
}

void ws_connection::send(std::string_view text) { impl_->enqueue(text, {}, false); }

void ws_connection::send_copy(std::string text) { impl_->enqueue({}, std::move(text), true); }

void ws_connection::close() { impl_->close(); }

void ws_connection::abort() { impl_->abort(); }

std::size_t ws_connection::queued() const { return impl_->queued(); }

}  // namespace onymous::bench
