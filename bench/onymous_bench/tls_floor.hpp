#pragma once
// The physical floor of a new TLS connection: one TLS 1.3 handshake with the
// server's certificate and key, between two SSL objects joined by an
// in-memory BIO pair in this thread: no sockets, no HTTP, no WebSocket.
// The server context is set up as the daemon's (server/tls/tls_context.cpp):
// no tickets, no session cache, released buffers.

#include "histogram.hpp"

#include <cstddef>
#include <string>

namespace onymous::bench {

struct tls_floor {
    /// Thread CPU time of the server SSL's SSL_do_handshake calls, per handshake.
    latency_histogram server_cpu;
    /// The same for the client SSL.
    latency_histogram client_cpu;
    std::string error;  ///< empty when it worked
};

/// `iterations` full handshakes (after 20 unmeasured ones).
tls_floor measure_tls_floor(const std::string& cert_file, const std::string& key_file,
                            std::size_t iterations);

}  // namespace onymous::bench
