#pragma once
// A TLS stream that holds no buffer of its own while a connection is idle.
//
// Why not asio::ssl::stream (Beast's ssl_stream): it copies every byte
// through a BIO pair and two staging vectors, 4 × 17 KiB per connection
// whatever the traffic, which was two thirds of an idle TLS connection's
// memory (docs/performance.md). Here OpenSSL reads and writes the socket
// itself through a small BIO (recv/send, MSG_NOSIGNAL), and the stream only
// waits for readiness on Asio's reactor; with SSL_MODE_RELEASE_BUFFERS an
// idle connection keeps no record buffer either.
//
// Same surface as the parts of ssl_stream the server uses (handshake,
// read_some, write_some, shutdown, native_handle, next_layer) and the same
// error codes (asio::error::eof after close_notify, ssl::error::
// stream_truncated without one), so Beast's HTTP and WebSocket code and the
// server's error handling run on it unchanged.

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace onymous::net {

/// What one attempt of an OpenSSL call came to.
struct tls_step {
    enum class status : std::uint8_t { done, want_read, want_write } state = status::done;
    std::size_t bytes = 0;
    boost::system::error_code ec;
};

class tls_socket {
public:
    using next_layer_type = boost::asio::ip::tcp::socket;
    using executor_type = next_layer_type::executor_type;

    tls_socket(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context& context);
    tls_socket(tls_socket&& other) noexcept;
    tls_socket& operator=(tls_socket&&) = delete;
    ~tls_socket();

    executor_type get_executor() { return next_.get_executor(); }
    next_layer_type& next_layer() { return next_; }
    const next_layer_type& next_layer() const { return next_; }
    SSL* native_handle() { return ssl_; }

    /// What the BIO reads and writes through (tls_socket.cpp).
    struct bio_state;

    // One attempt each, without blocking; the async_* below repeat them
    // when the socket is ready.
    tls_step try_handshake();
    tls_step try_read(boost::asio::mutable_buffer buffer);
    tls_step try_write(boost::asio::const_buffer buffer);
    tls_step try_shutdown();

    template <class Handler>
    auto async_handshake(boost::asio::ssl::stream_base::handshake_type, Handler&& handler) {
        return run<false>([](tls_socket& s) { return s.try_handshake(); },
                          std::forward<Handler>(handler));
    }

    template <class Handler>
    auto async_shutdown(Handler&& handler) {
        return run<false>([](tls_socket& s) { return s.try_shutdown(); },
                          std::forward<Handler>(handler));
    }

    template <class MutableBuffers, class Handler>
    auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        boost::asio::mutable_buffer first;
        for (const auto b : boost::beast::buffers_range_ref(buffers)) {
            if (b.size() > 0) {
                first = b;
                break;
            }
        }
        return run<true>([first](tls_socket& s) { return s.try_read(first); },
                         std::forward<Handler>(handler));
    }

    /// Several buffers (Beast's frame header and payload) are sent as one
    /// record: each OpenSSL write is a record and a send().
    template <class ConstBuffers, class Handler>
    auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        auto copy = std::make_shared<std::vector<char>>();
        boost::asio::const_buffer first;
        std::size_t count = 0;
        for (const auto b : boost::beast::buffers_range_ref(buffers)) {
            if (b.size() == 0) continue;
            if (count++ == 0) first = b;
            if (copy->size() + b.size() > max_coalesced_bytes) break;
            const auto* bytes = static_cast<const char*>(b.data());
            copy->insert(copy->end(), bytes, bytes + b.size());
        }
        const boost::asio::const_buffer chosen =
            count > 1 && !copy->empty() ? boost::asio::buffer(*copy) : first;
        return run<true>([chosen, copy](tls_socket& s) { return s.try_write(chosen); },
                         std::forward<Handler>(handler));
    }

private:
    static constexpr std::size_t max_coalesced_bytes = 16384;  // one TLS record

    /// Repeats `attempt` each time the socket is ready as it asks, and
    /// completes with its result; never inline from the initiating call.
    template <bool WithBytes, class Attempt>
    struct op {
        tls_socket& stream;
        Attempt attempt;
        bool started = false;
        bool deferred = false;
        tls_step result{};

        template <class Self>
        void operator()(Self& self, boost::system::error_code wait_error = {}) {
            if (deferred) return finish(self, result);
            if (wait_error) return finish(self, tls_step{tls_step::status::done, 0, wait_error});
            result = attempt(stream);
            const bool first = !started;
            started = true;
            auto& socket = stream.next_;
            switch (result.state) {
            case tls_step::status::want_read:
                return socket.async_wait(boost::asio::socket_base::wait_read, std::move(self));
            case tls_step::status::want_write:
                return socket.async_wait(boost::asio::socket_base::wait_write, std::move(self));
            case tls_step::status::done: break;
            }
            if (!first) return finish(self, result);
            deferred = true;
            boost::asio::post(stream.get_executor(), std::move(self));
        }

        template <class Self>
        void finish(Self& self, const tls_step& r) {
            if constexpr (WithBytes)
                self.complete(r.ec, r.bytes);
            else
                self.complete(r.ec);
        }
    };

    template <bool WithBytes, class Attempt, class Handler>
    auto run(Attempt attempt, Handler&& handler) {
        using signature =
            std::conditional_t<WithBytes, void(boost::system::error_code, std::size_t),
                               void(boost::system::error_code)>;
        return boost::asio::async_compose<Handler, signature>(
            op<WithBytes, Attempt>{*this, std::move(attempt)}, handler, next_);
    }

    tls_step classify(int result, std::size_t bytes);

    next_layer_type next_;
    std::unique_ptr<bio_state> bio_;
    SSL* ssl_ = nullptr;
};

namespace detail {

/// Beast's WebSocket teardown for tls_socket: close_notify, then the TCP
/// teardown Beast does for a plain socket. The first error is the result.
struct tls_teardown_op {
    tls_socket& stream;
    boost::beast::role_type role;
    enum class stage : std::uint8_t { start, shut_down, torn_down } at = stage::start;
    boost::system::error_code first_error{};

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
        switch (at) {
        case stage::start: at = stage::shut_down; return stream.async_shutdown(std::move(self));
        case stage::shut_down: {
            at = stage::torn_down;
            first_error = ec;
            using boost::beast::websocket::async_teardown;
            return async_teardown(role, stream.next_layer(), std::move(self));
        }
        case stage::torn_down: break;
        }
        self.complete(first_error ? first_error : ec);
    }
};

}  // namespace detail

/// Found by Beast's unqualified call (argument-dependent lookup).
template <class Handler>
void async_teardown(boost::beast::role_type role, tls_socket& stream, Handler&& handler) {
    boost::asio::async_compose<Handler, void(boost::system::error_code)>(
        detail::tls_teardown_op{stream, role}, handler, stream.next_layer());
}

}  // namespace onymous::net
