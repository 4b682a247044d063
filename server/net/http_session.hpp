#pragma once
// A freshly accepted connection: the TLS handshake (TLS listeners), then one
// HTTP/1.1 request, all within limits.handshake_timeout. GET /ws with an
// upgrade becomes a WebSocket session; anything else gets its status code
// (404, 426, 400, 403, 503) and the connection is closed.

#include "net/server_context.hpp"

#include <boost/asio/ip/tcp.hpp>

namespace onymous::net {

void start_plain_http_session(boost::asio::ip::tcp::socket socket, server_context& ctx, worker& w,
                              connection_slot slot);
void start_tls_http_session(boost::asio::ip::tcp::socket socket, server_context& ctx, worker& w,
                            connection_slot slot);

}  // namespace onymous::net
