#pragma once
// A freshly accepted connection: the PROXY v2 header (listeners with
// proxy_protocol), the TLS handshake (TLS listeners), then one HTTP/1.1
// request, all within limits.handshake_timeout. GET /ws with an upgrade
// becomes a WebSocket session; anything else gets its status code (404,
// 426, 400, 403, 503) and the connection is closed. A bad PROXY header
// closes the connection unanswered: what follows it is not HTTP we could
// answer.

#include "net/client_admission.hpp"
#include "net/server_context.hpp"

#include <boost/asio/ip/tcp.hpp>

namespace onymous::net {

struct handshake_options {
    bool tls = true;
    bool proxy_protocol = false;  ///< a PROXY v2 header comes first
};

/// `peer`: who connected, and whether it was admitted as the client already.
void start_http_session(boost::asio::ip::tcp::socket socket, server_context& ctx, worker& w,
                        connection_slot slot, handshake_options options, accepted_peer peer);

}  // namespace onymous::net
