#pragma once
// Starts a WebSocket connection on a stream whose HTTP upgrade request has
// been read. The Beast types stay in websocket_connection.cpp: this header
// is all http_session.cpp needs.

#include "net/server_context.hpp"
#include "net/tls_socket.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

#include <functional>
#include <utility>

namespace onymous::net {

/// The layer under a connection's WebSocket: Beast's own, plus one hook.
/// Beast tears the connection down (TLS shutdown, TCP close) once the close
/// frames are through, in either direction, and only then completes the
/// read or close that got there. A client that never finishes the teardown
/// would keep its session alive until then; the hook says at once that the
/// close handshake is over.
template <class Base>
class hooked_layer : public Base {
public:
    using Base::Base;
    /// Takes `base` over (a socket's move constructor is not inherited).
    explicit hooked_layer(Base&& base) : Base(std::move(base)) {}
    /// Called when Beast starts the teardown, on the connection's thread.
    std::function<void()> on_teardown;
};

/// The bare socket, not Beast's tcp_stream: its timeouts and rate limits
/// are unused here (the handshake's deadline and keepalive are the
/// connection's own), and its state cost 536 bytes a connection.
using plain_stream = hooked_layer<boost::asio::ip::tcp::socket>;
using tls_stream = hooked_layer<tls_socket>;

/// Found by Beast's unqualified call (argument-dependent lookup), and a
/// better match than the base's own, to which it then forwards (Beast's for
/// a socket, tls_socket.hpp's for tls_socket, both found the same way).
template <class Base, class Handler>
void async_teardown(boost::beast::role_type role, hooked_layer<Base>& layer, Handler&& handler) {
    if (layer.on_teardown) layer.on_teardown();
    using boost::beast::websocket::async_teardown;
    async_teardown(role, static_cast<Base&>(layer), std::forward<Handler>(handler));
}
using upgrade_request = boost::beast::http::request<boost::beast::http::empty_body>;

/// Takes over `stream`, completes the upgrade and attaches a fresh session.
void start_websocket_connection(plain_stream stream, upgrade_request request, server_context& ctx,
                                worker& w, connection_slot slot);
void start_websocket_connection(tls_stream stream, upgrade_request request, server_context& ctx,
                                worker& w, connection_slot slot);

}  // namespace onymous::net
