#pragma once
// Starts a WebSocket connection on a stream whose HTTP upgrade request has
// been read. The Beast types stay in websocket_connection.cpp: this header
// is all http_session.cpp needs.

#include "net/server_context.hpp"

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace onymous::net {

using plain_stream = boost::beast::tcp_stream;
using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using upgrade_request = boost::beast::http::request<boost::beast::http::empty_body>;

/// Takes over `stream`, completes the upgrade and attaches a fresh session.
void start_websocket_connection(plain_stream stream, upgrade_request request, server_context& ctx,
                                worker& w, connection_slot slot);
void start_websocket_connection(tls_stream stream, upgrade_request request, server_context& ctx,
                                worker& w, connection_slot slot);

}  // namespace onymous::net
