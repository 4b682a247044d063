#pragma once
// What a server answers to a bare TLS ClientHello, on a raw TCP socket: the
// proof that a connection refused before TLS (PROTOCOL.md, Transport) costs
// the server no handshake and tells the client nothing. OpenSSL and POSIX
// sockets only, no Beast: it compiles in seconds.

#include "ws_client.hpp"

#include <cstddef>
#include <cstdint>

namespace onymous::test {

struct client_hello_answer {
    std::size_t bytes = 0;   ///< what the server sent back (a ServerHello is a few hundred)
    bool closed = false;     ///< the server closed (or reset) the connection
    bool connected = false;  ///< the TCP connection was made at all
};

/// Connects to 127.0.0.1:port (from link.source_address, sending
/// link.prelude first), sends a TLS 1.3 ClientHello and reads until the
/// server closes, sends a first answer, or `timeout` passes.
client_hello_answer answer_to_client_hello(std::uint16_t port, const link_options& link = {},
                                           duration timeout = 5s);

}  // namespace onymous::test
