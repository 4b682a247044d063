#pragma once
// A WebSocket test client for onymousd (TLS or plain), plus raw HTTP and
// silent-connection helpers. No Beast type appears here: all of Beast and
// OpenSSL live in ws_client.cpp, which takes minutes to compile, so that the
// test files including this header compile in seconds.
//
// Every call is bounded by a timeout. The client owns its io_context and
// drives it only inside its own calls, so one test thread can hold hundreds
// of clients; a client whose calls are not running reads nothing (which is
// how stop_reading() makes a client look dead to the server's pings).

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onymous::test {

using namespace std::chrono_literals;
using duration = std::chrono::milliseconds;
using json = nlohmann::json;

/// An HTTP response: status, headers (names lower-cased) and body.
struct http_response {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;

    bool has_header(const std::string& lower_name) const { return headers.count(lower_name) != 0; }
    std::string header(const std::string& lower_name) const;
};

/// How the TCP connection is made, below TLS and HTTP.
struct link_options {
    /// The client's own address, e.g. "127.0.0.2" to look like another
    /// client; empty lets the system choose (127.0.0.1).
    std::string source_address;
    /// Bytes sent first, before TLS (a PROXY protocol header).
    std::string prelude;
};

/// How the WebSocket upgrade is requested.
struct connect_options {
    bool tls = true;
    link_options link;
    /// Extra request header lines, in order; a name may repeat.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string target = "/ws";
    std::optional<std::string> origin;
    /// Sec-WebSocket-Protocol offered; nullopt offers none.
    std::optional<std::string> subprotocol = std::string("onymous.v1");
    duration timeout = 10s;
};

/// How a connection ended, as the client saw it.
struct close_state {
    bool closed = false;       ///< no more messages will come
    bool close_frame = false;  ///< ended by a WebSocket close frame from the server
    int code = 0;              ///< the server's close code when close_frame
    std::string reason;        ///< the server's close reason when close_frame
    std::string error;         ///< the transport error otherwise (empty if none)
};

class ws_client {
public:
    ws_client();
    ~ws_client();
    ws_client(ws_client&&) noexcept;
    ws_client& operator=(ws_client&&) noexcept;

    /// TCP connect to 127.0.0.1:port, TLS handshake (verifying the shared test
    /// certificate for "localhost"), HTTP upgrade. Returns false on any
    /// failure; error() says why and upgrade_response() holds a refusal.
    bool connect(std::uint16_t port, const connect_options& options = {});
    const std::string& error() const;
    /// The server's answer to the upgrade request (101 on success).
    const http_response& upgrade_response() const;
    /// The client's own ephemeral port (for the privacy test's log check).
    std::uint16_t local_port() const;

    /// Sends one text message (not validated: invalid UTF-8 goes out as is).
    void send_text(std::string_view text);
    void send_json(const json& message);
    void send_binary(std::string_view data);
    /// Sends one text message split into frames of the given parts.
    void send_fragmented(const std::vector<std::string>& parts);

    /// The next message as text, or nullopt on timeout or when the connection
    /// ended (see closed()). Throws std::runtime_error on a binary message.
    std::optional<std::string> read_text(duration timeout = 5s);
    /// The next message parsed as JSON (throws when it is not JSON).
    std::optional<json> read_json(duration timeout = 5s);
    /// True when nothing arrives (and the connection stays up) for `window`.
    bool expect_silence(duration window);
    /// Reads (discarding, but recording in history()) until the connection
    /// ends or `timeout` passes; returns how it ended.
    close_state expect_close(duration timeout = 5s);
    /// Messages received so far that no read has returned yet.
    std::size_t pending();

    /// Sends a close frame with `code` and waits (bounded) for the server's.
    close_state close(int code = 1000, duration timeout = 5s);
    /// Closes the TCP socket without a close frame (or TLS close_notify).
    void drop();

    /// Stops driving this connection: no read, no automatic pong, until the
    /// next read call. Sending while stopped throws.
    void stop_reading();

    /// The close state so far (closed is false while connected).
    const close_state& state() const;
    /// Every JSON message returned or discarded so far, in arrival order.
    const std::vector<json>& history() const;
    /// The last `seq` received (0 before any sequenced message).
    std::int64_t last_seq() const;

    class impl;

private:
    std::unique_ptr<impl> impl_;
};

/// Sends `raw` as is to 127.0.0.1:port (TLS or plain) and reads one HTTP
/// response. Throws std::runtime_error when no response arrives in time.
http_response http_exchange(std::uint16_t port, bool tls, const std::string& raw,
                            duration timeout = 10s, const link_options& link = {});

/// What a TLS client offers in tls_probe().
struct tls_probe_options {
    std::string max_version;  ///< "1.2" or "1.3"; empty = OpenSSL's default (1.3)
    std::string cipher_list;  ///< TLS 1.2 cipher list (OpenSSL syntax); empty = default
};

/// The outcome of a bare TLS handshake.
struct tls_probe_result {
    bool ok = false;
    std::string version;  ///< e.g. "TLSv1.3" when ok
    std::string cipher;   ///< e.g. "TLS_AES_256_GCM_SHA384" when ok
    std::string error;    ///< why the handshake failed
};

/// Performs only a TLS handshake with 127.0.0.1:port (verifying the shared
/// test certificate), then disconnects.
tls_probe_result tls_probe(std::uint16_t port, const tls_probe_options& options,
                           duration timeout = 10s);

/// A connection that does nothing, to watch the server's handshake timeout.
class silent_connection {
public:
    /// Connects over TCP; with `tls_handshake` also completes the TLS handshake.
    silent_connection(std::uint16_t port, bool tls_handshake);
    ~silent_connection();
    silent_connection(const silent_connection&) = delete;
    silent_connection& operator=(const silent_connection&) = delete;

    /// True when the server closes the connection within `timeout`.
    bool wait_closed(duration timeout);

    class impl;

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace onymous::test
