#pragma once
// One client WebSocket (TLS or plain) of the load generator. No Beast type
// appears here: Beast and OpenSSL live in ws_connection.cpp alone, the one
// translation unit that takes minutes to compile, so that every scenario
// file compiles in seconds.
//
// The handle owns a shared implementation whose pending operations keep it
// alive: destroying the handle aborts the socket and detaches the listener,
// and the implementation is freed when its last handler has run. All calls
// and callbacks happen on the thread that runs the io_context.

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace onymous::bench {

using error_code = boost::system::error_code;

/// The client side of TLS 1.3, shared by every connection of a process.
/// Certificates are not verified (a bench against its own self-signed one),
/// sessions are never resumed (each handshake is a full one), and OpenSSL's
/// buffers are released between records, as the daemon does, so that the
/// generator's own memory does not limit the idle scenario.
class tls_client_context {
public:
    tls_client_context();
    ~tls_client_context();
    tls_client_context(const tls_client_context&) = delete;
    tls_client_context& operator=(const tls_client_context&) = delete;

    /// Holds the boost::asio::ssl::context (defined in ws_connection.cpp).
    struct state;
    state& get() { return *state_; }

private:
    std::unique_ptr<state> state_;
};

/// Where and how connections are made.
struct connect_target {
    std::string host = "127.0.0.1";  ///< IPv4 literal of the server
    std::uint16_t port = 0;
    std::string subprotocol;  ///< Sec-WebSocket-Protocol offered; empty offers none
};

class ws_connection {
public:
    /// What a connection tells its owner. Never called after the handle is gone.
    class listener {
    public:
        /// The upgrade is done (ec empty), or the step named failed.
        virtual void on_open(const error_code& ec, const char* step) = 0;
        /// One whole text message; the view is valid during the call only.
        virtual void on_message(std::string_view text) = 0;
        /// The read loop ended: a close frame (close_code > 0), or a transport error.
        virtual void on_closed(const error_code& ec, int close_code) = 0;

    protected:
        ~listener() = default;
    };

    /// `tls` null makes a plain (ws://) connection.
    ws_connection(boost::asio::io_context& ioc, tls_client_context* tls, listener& owner);
    ~ws_connection();
    ws_connection(const ws_connection&) = delete;
    ws_connection& operator=(const ws_connection&) = delete;

    /// TCP connect from `source_address` (an IPv4 literal; empty lets the
    /// system choose), TLS handshake, HTTP upgrade of `path`; then reads until
    /// closed. Everything up to the upgrade must finish within `open_timeout_ms`.
    void open(const connect_target& target, std::string_view path, std::string_view source_address,
              int open_timeout_ms = 15000);
    /// Queues one text message. The bytes must stay valid until written: the
    /// scenarios send prebuilt texts that outlive their connections.
    void send(std::string_view text);
    /// Queues a copy of `text` (cold paths: join, next).
    void send_copy(std::string text);
    /// Sends a close frame (code 1000) after the queued messages; on_closed follows.
    void close();
    /// Closes the socket at once, without a close frame.
    void abort();
    /// Messages queued and not yet written, including the one being written.
    std::size_t queued() const;

    class impl;

private:
    std::shared_ptr<impl> impl_;
};

/// True when `ec` is the end of a connection closed by close frames.
bool is_normal_close(const error_code& ec);

}  // namespace onymous::bench
