// All of Beast and OpenSSL for the end-to-end tests (see ws_client.hpp).
// Every asynchronous operation is awaited by running the client's own
// io_context until it completes or a deadline passes, so that no test can
// hang on a socket. Completion state lives in shared_ptrs, so an operation
// abandoned at its deadline can still complete harmlessly later.

#include "ws_client.hpp"

#include "tls_material.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <cctype>
#include <deque>
#include <stdexcept>
#include <type_traits>

namespace onymous::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

ssl::context& client_tls_context() {
    // Verifies the daemon's certificate exactly as a browser would, against
    // the test CA (the self-signed certificate itself) and the name localhost.
    static ssl::context context = [] {
        ssl::context ctx(ssl::context::tls_client);
        ctx.load_verify_file(shared_tls().certificate.string());
        ctx.set_verify_mode(ssl::verify_peer);
        ctx.set_verify_callback(ssl::host_name_verification("localhost"));
        return ctx;
    }();
    return context;
}

/// The completion of one operation: nullopt while it runs.
using outcome = std::shared_ptr<std::optional<beast::error_code>>;

outcome new_outcome() { return std::make_shared<std::optional<beast::error_code>>(); }

auto complete(const outcome& result) {
    return [result](beast::error_code ec, auto&&...) { *result = ec; };
}

/// Runs `ioc` until `done()` or `deadline`; false on timeout or when the
/// context runs out of work before `done()`.
template <class Done>
bool run_until(net::io_context& ioc, Done done, steady::time_point deadline) {
    while (!done()) {
        if (ioc.stopped()) ioc.restart();
        if (steady::now() >= deadline) return false;
        if (ioc.run_one_until(deadline) == 0 && ioc.stopped() && !done())
            return false;  // nothing left that could make it happen
    }
    return true;
}

/// Runs until `result` is set; on timeout, closes `socket` so that the
/// operation ends, and reports the timeout.
beast::error_code await(net::io_context& ioc, const outcome& result, steady::time_point deadline,
                        tcp::socket& socket) {
    if (run_until(
            ioc, [&] { return result->has_value(); }, deadline))
        return **result;
    beast::error_code ignored;
    socket.close(ignored);
    run_until(
        ioc, [&] { return result->has_value(); }, steady::now() + 1s);
    return beast::error::timeout;
}

template <class Fields>
void copy_headers(const Fields& fields, http_response& out) {
    for (const auto& field : fields) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(field.value());
    }
}

template <class Body>
http_response to_response(const http::response<Body>& res) {
    http_response out;
    out.status = static_cast<int>(res.result_int());
    copy_headers(res.base(), out);
    out.body = res.body();
    return out;
}

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

/// TCP connect to 127.0.0.1:port and, for a TLS stream, the TLS handshake.
template <class Stream>
beast::error_code open(net::io_context& ioc, Stream& stream, std::uint16_t port,
                       steady::time_point deadline, const link_options& link = {}) {
    auto& socket = beast::get_lowest_layer(stream).socket();
    if (!link.source_address.empty()) {
        beast::error_code ec;
        socket.open(tcp::v4(), ec);
        if (!ec) socket.bind(tcp::endpoint(net::ip::make_address(link.source_address), 0), ec);
        if (ec) return ec;
    }
    auto connected = new_outcome();
    beast::get_lowest_layer(stream).async_connect(
        tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port), complete(connected));
    if (auto ec = await(ioc, connected, deadline, socket)) return ec;
    if (!link.prelude.empty()) {
        auto written = new_outcome();
        net::async_write(socket, net::buffer(link.prelude), complete(written));
        if (auto ec = await(ioc, written, deadline, socket)) return ec;
    }
    if constexpr (std::is_same_v<Stream, tls_stream>) {
        auto handshaken = new_outcome();
        stream.async_handshake(ssl::stream_base::client, complete(handshaken));
        return await(ioc, handshaken, deadline, socket);
    }
    return {};
}

std::string describe(const char* step, const beast::error_code& ec) {
    return std::string(step) + ": " + ec.message();
}

}  // namespace

std::string http_response::header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

// ---------------------------------------------------------------------------
// ws_client

struct received {
    bool text = true;
    std::string payload;
};

class ws_client::impl {
public:
    virtual ~impl() = default;

    virtual bool connect(std::uint16_t port, const connect_options& options) = 0;
    virtual std::uint16_t local_port() = 0;
    /// Sends one frame; `fin` false leaves the message open (fragmentation).
    virtual void write(std::string_view data, bool text, bool fin) = 0;
    virtual close_state close(int code, duration timeout) = 0;
    virtual void drop() = 0;
    virtual void arm_read() = 0;

    /// Runs until a message is queued or the connection ended.
    bool wait_message(steady::time_point deadline) {
        paused_ = false;
        arm_read();
        return run_until(
                   ioc_, [&] { return !inbox_.empty() || state_.closed; }, deadline) &&
               !inbox_.empty();
    }

    net::io_context ioc_{1};
    std::deque<received> inbox_;
    std::vector<json> history_;
    close_state state_;
    http_response upgrade_;
    std::string error_;
    std::int64_t last_seq_ = 0;
    bool paused_ = false;
};

namespace {

template <class Next>
class ws_impl final : public ws_client::impl {
public:
    ws_impl() : ws_(make_stream()) {
        ws_.read_message_max(64u << 20);
        ws_.auto_fragment(false);
        // A close frame is recorded when it is read, before Beast answers it:
        // the answer may fail (the server may already be gone), and that
        // failure must not hide the code the server sent.
        ws_.control_callback([this](websocket::frame_type kind, std::string_view) {
            if (kind == websocket::frame_type::close && !state_.close_frame) {
                state_.close_frame = true;
                state_.code = ws_.reason().code;
                state_.reason = std::string(ws_.reason().reason.c_str());
            }
        });
    }

    ~ws_impl() override {
        // Let aborted operations finish while the stream is still alive.
        drop();
        ioc_.restart();
        ioc_.run_for(100ms);
    }

    bool connect(std::uint16_t port, const connect_options& options) override {
        const auto deadline = steady::now() + options.timeout;
        if (auto ec = open(ioc_, ws_.next_layer(), port, deadline, options.link)) {
            error_ = describe(std::is_same_v<Next, tls_stream> ? "connect/TLS" : "connect", ec);
            return false;
        }
        ws_.set_option(websocket::stream_base::decorator([options](websocket::request_type& req) {
            if (options.origin) req.set(http::field::origin, *options.origin);
            if (options.subprotocol)
                req.set(http::field::sec_websocket_protocol, *options.subprotocol);
            for (const auto& [name, value] : options.headers) req.insert(name, value);
        }));
        auto response = std::make_shared<websocket::response_type>();
        auto upgraded = new_outcome();
        ws_.async_handshake(*response, "localhost:" + std::to_string(port), options.target,
                            [upgraded, response](beast::error_code ec) { *upgraded = ec; });
        const auto ec = await(ioc_, upgraded, deadline, beast::get_lowest_layer(ws_).socket());
        upgrade_ = to_response(*response);
        if (ec) {
            error_ = describe("upgrade", ec) + " (HTTP " + std::to_string(upgrade_.status) + ")";
            return false;
        }
        return true;
    }

    std::uint16_t local_port() override {
        beast::error_code ec;
        return beast::get_lowest_layer(ws_).socket().local_endpoint(ec).port();
    }

    void write(std::string_view data, bool text, bool fin) override {
        if (paused_) throw std::logic_error("ws_client: send while stopped reading");
        if (state_.closed)
            throw std::runtime_error("ws_client: send on a closed connection (" + state_.error +
                                     ")");
        ws_.text(text);
        auto written = new_outcome();
        ws_.async_write_some(fin, net::buffer(data.data(), data.size()), complete(written));
        // Keep reading meanwhile: pings get their pong and a close is seen.
        arm_read();
        if (!run_until(
                ioc_, [&] { return written->has_value(); }, steady::now() + 10s))
            throw std::runtime_error("ws_client: write timed out");
        if (**written) throw std::runtime_error(describe("ws_client: write", **written));
    }

    close_state close(int code, duration timeout) override {
        if (state_.closed) return state_;
        paused_ = false;
        closing_ = true;
        auto closed = new_outcome();
        ws_.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                        complete(closed));
        // A pending read ends with operation_aborted and the close operation
        // reads the server's close frame itself.
        if (run_until(
                ioc_, [&] { return closed->has_value() && !read_armed_; }, steady::now() + timeout))
            finish(**closed ? **closed : beast::error_code(websocket::error::closed));
        else
            finish(beast::error::timeout);
        return state_;
    }

    void drop() override {
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
        if (!state_.closed) {
            state_.closed = true;
            state_.error = "dropped by the client";
        }
    }

    void arm_read() override {
        if (read_armed_ || state_.closed) return;
        read_armed_ = true;
        ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) { on_read(ec); });
    }

private:
    static websocket::stream<Next> make_stream_for(net::io_context& ioc) {
        if constexpr (std::is_same_v<Next, tls_stream>)
            return websocket::stream<Next>(ioc, client_tls_context());
        else
            return websocket::stream<Next>(ioc);
    }

    websocket::stream<Next> make_stream() { return make_stream_for(ioc_); }

    void on_read(beast::error_code ec) {
        read_armed_ = false;
        if (ec == net::error::operation_aborted && closing_)
            return;  // our own close took over the reading
        if (ec) {
            finish(ec);
            return;
        }
        inbox_.push_back({ws_.got_text(), beast::buffers_to_string(buffer_.data())});
        buffer_.consume(buffer_.size());
        if (!paused_) arm_read();
    }

    void finish(beast::error_code ec) {
        if (state_.closed) return;
        state_.closed = true;
        if (ec == websocket::error::closed && !state_.close_frame) {
            state_.close_frame = true;
            state_.code = ws_.reason().code;
            state_.reason = std::string(ws_.reason().reason.c_str());
        }
        if (ec != websocket::error::closed) state_.error = ec.message();
    }

    websocket::stream<Next> ws_;
    beast::flat_buffer buffer_;
    bool read_armed_ = false;
    bool closing_ = false;
};

}  // namespace

ws_client::ws_client() = default;
ws_client::~ws_client() = default;
ws_client::ws_client(ws_client&&) noexcept = default;
ws_client& ws_client::operator=(ws_client&&) noexcept = default;

namespace {

ws_client::impl& need(const std::unique_ptr<ws_client::impl>& impl) {
    if (!impl) throw std::logic_error("ws_client: not connected");
    return *impl;
}

}  // namespace

bool ws_client::connect(std::uint16_t port, const connect_options& options) {
    if (options.tls)
        impl_ = std::make_unique<ws_impl<tls_stream>>();
    else
        impl_ = std::make_unique<ws_impl<beast::tcp_stream>>();
    return impl_->connect(port, options);
}

const std::string& ws_client::error() const { return need(impl_).error_; }
const http_response& ws_client::upgrade_response() const { return need(impl_).upgrade_; }
std::uint16_t ws_client::local_port() const { return need(impl_).local_port(); }
void ws_client::send_text(std::string_view text) { need(impl_).write(text, true, true); }
void ws_client::send_json(const json& message) { send_text(message.dump()); }
void ws_client::send_binary(std::string_view data) { need(impl_).write(data, false, true); }

void ws_client::send_fragmented(const std::vector<std::string>& parts) {
    for (std::size_t i = 0; i < parts.size(); ++i)
        need(impl_).write(parts[i], true, i + 1 == parts.size());
}

std::optional<std::string> ws_client::read_text(duration timeout) {
    auto& self = need(impl_);
    if (!self.wait_message(steady::now() + timeout)) return std::nullopt;
    received message = std::move(self.inbox_.front());
    self.inbox_.pop_front();
    if (!message.text) throw std::runtime_error("ws_client: the server sent a binary message");
    return std::move(message.payload);
}

std::optional<json> ws_client::read_json(duration timeout) {
    auto text = read_text(timeout);
    if (!text) return std::nullopt;
    auto message = json::parse(*text, nullptr, false);
    if (message.is_discarded())
        throw std::runtime_error("ws_client: the server sent a message that is not JSON: " + *text);
    auto& self = need(impl_);
    if (message.is_object() && message.contains("seq") && message["seq"].is_number_integer())
        self.last_seq_ = message["seq"].get<std::int64_t>();
    self.history_.push_back(message);
    return message;
}

bool ws_client::expect_silence(duration window) {
    auto& self = need(impl_);
    return !self.wait_message(steady::now() + window) && !self.state_.closed;
}

close_state ws_client::expect_close(duration timeout) {
    auto& self = need(impl_);
    const auto deadline = steady::now() + timeout;
    while (self.wait_message(deadline) || !self.inbox_.empty()) read_json(0ms);
    return self.state_;
}

std::size_t ws_client::pending() {
    auto& self = need(impl_);
    self.paused_ = false;
    self.arm_read();
    self.ioc_.restart();
    while (self.ioc_.poll() != 0) {
    }
    return self.inbox_.size();
}

close_state ws_client::close(int code, duration timeout) {
    return need(impl_).close(code, timeout);
}
void ws_client::drop() { need(impl_).drop(); }
void ws_client::stop_reading() { need(impl_).paused_ = true; }
const close_state& ws_client::state() const { return need(impl_).state_; }
const std::vector<json>& ws_client::history() const { return need(impl_).history_; }
std::int64_t ws_client::last_seq() const { return need(impl_).last_seq_; }

// ---------------------------------------------------------------------------
// Raw HTTP

namespace {

template <class Stream>
http_response exchange(net::io_context& ioc, Stream& stream, std::uint16_t port,
                       const std::string& raw, steady::time_point deadline,
                       const link_options& link) {
    auto& socket = beast::get_lowest_layer(stream).socket();
    if (auto ec = open(ioc, stream, port, deadline, link))
        throw std::runtime_error(describe("http_exchange: connect", ec));
    auto written = new_outcome();
    net::async_write(stream, net::buffer(raw), complete(written));
    if (auto ec = await(ioc, written, deadline, socket))
        throw std::runtime_error(describe("http_exchange: write", ec));
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto parser = std::make_shared<http::response_parser<http::string_body>>();
    parser->body_limit(16u << 20);
    auto read = new_outcome();
    http::async_read(stream, *buffer, *parser,
                     [read, buffer, parser](beast::error_code ec, std::size_t) { *read = ec; });
    if (auto ec = await(ioc, read, deadline, socket))
        throw std::runtime_error(describe("http_exchange: read response", ec));
    return to_response(parser->get());
}

}  // namespace

http_response http_exchange(std::uint16_t port, bool tls, const std::string& raw, duration timeout,
                            const link_options& link) {
    net::io_context ioc{1};
    const auto deadline = steady::now() + timeout;
    if (tls) {
        tls_stream stream(ioc, client_tls_context());
        return exchange(ioc, stream, port, raw, deadline, link);
    }
    beast::tcp_stream stream(ioc);
    return exchange(ioc, stream, port, raw, deadline, link);
}

// ---------------------------------------------------------------------------
// tls_probe

tls_probe_result tls_probe(std::uint16_t port, const tls_probe_options& options, duration timeout) {
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file(shared_tls().certificate.string());
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.set_verify_callback(ssl::host_name_verification("localhost"));
    SSL_CTX* native = ctx.native_handle();
    if (options.max_version == "1.2")
        SSL_CTX_set_max_proto_version(native, TLS1_2_VERSION);
    else if (options.max_version == "1.3")
        SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);
    else if (!options.max_version.empty())
        throw std::invalid_argument("tls_probe: max_version " + options.max_version);
    if (!options.cipher_list.empty() &&
        SSL_CTX_set_cipher_list(native, options.cipher_list.c_str()) != 1)
        throw std::invalid_argument("tls_probe: cipher list " + options.cipher_list);

    net::io_context ioc{1};
    tls_stream stream(ioc, ctx);
    tls_probe_result result;
    if (auto ec = open(ioc, stream, port, steady::now() + timeout)) {
        result.error = ec.message();
        return result;
    }
    result.ok = true;
    result.version = SSL_get_version(stream.native_handle());
    result.cipher = SSL_get_cipher_name(stream.native_handle());
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
    return result;
}

// ---------------------------------------------------------------------------
// silent_connection

class silent_connection::impl {
public:
    impl() : stream_(ioc_, client_tls_context()) {}

    net::io_context ioc_{1};
    tls_stream stream_;
    bool tls_ = false;
    bool closed_ = false;
    outcome pending_;  ///< the read in flight, if any (one at a time)
    std::shared_ptr<std::array<char, 4096>> scratch_ = std::make_shared<std::array<char, 4096>>();
};

silent_connection::silent_connection(std::uint16_t port, bool tls_handshake)
    : impl_(std::make_unique<impl>()) {
    impl_->tls_ = tls_handshake;
    const auto deadline = steady::now() + 10s;
    beast::error_code ec;
    if (tls_handshake)
        ec = open(impl_->ioc_, impl_->stream_, port, deadline);
    else
        ec = open(impl_->ioc_, impl_->stream_.next_layer(), port, deadline);
    if (ec) throw std::runtime_error(describe("silent_connection: connect", ec));
}

silent_connection::~silent_connection() {
    beast::error_code ignored;
    beast::get_lowest_layer(impl_->stream_).socket().close(ignored);
    impl_->ioc_.restart();
    impl_->ioc_.run_for(100ms);
}

bool silent_connection::wait_closed(duration timeout) {
    auto& self = *impl_;
    const auto deadline = steady::now() + timeout;
    while (!self.closed_) {
        // Whatever the server says (an alert, a 408) is read and ignored;
        // only the end of the connection counts. A read still in flight from
        // an earlier call is waited for, never doubled.
        if (!self.pending_) {
            self.pending_ = new_outcome();
            auto buffer = net::buffer(*self.scratch_);
            auto handler = [read = self.pending_, keep = self.scratch_](
                               beast::error_code ec, std::size_t) { *read = ec; };
            if (self.tls_)
                self.stream_.async_read_some(buffer, handler);
            else
                self.stream_.next_layer().async_read_some(buffer, handler);
        }
        auto read = self.pending_;
        if (!run_until(
                self.ioc_, [&] { return read->has_value(); }, deadline))
            return false;
        self.pending_.reset();
        if (**read) self.closed_ = true;
    }
    return true;
}

}  // namespace onymous::test
