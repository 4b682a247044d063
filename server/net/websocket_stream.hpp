#pragma once
// A connection's Beast stream: how it is set up for the upgrade, and how its
// end is read off Beast's state: what the end means for the session (a
// close handshake ends it, anything else is a drop and starts the resume
// grace), and which close code /metrics counts. Included by
// websocket_connection.cpp only: Beast's types stay there.

#include "net/header_tokens.hpp"
#include "net/websocket_connection.hpp"

#include <onymous/config/config.hpp>

#include <onymous/protocol/messages.hpp>

#include <boost/beast/websocket.hpp>

#include <openssl/ssl.h>

#include <cstdint>
#include <optional>
#include <type_traits>

namespace onymous::net {

/// Limits, our own timers instead of Beast's, and the answer's headers: the
/// subprotocol is selected when the client offers it (several
/// Sec-WebSocket-Protocol lines count as one list).
template <class Stream>
void set_up_stream(boost::beast::websocket::stream<Stream>& ws, const upgrade_request& request,
                   const config::limits_settings& limits) {
    namespace websocket = boost::beast::websocket;
    namespace http = boost::beast::http;
    ws.read_message_max(limits.max_message_bytes);
    ws.auto_fragment(false);
    // Beast's own timer only bounds the opening handshake; pings, the idle
    // timeout and the close deadline are the connection's (connection/keepalive).
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = limits.handshake_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws.set_option(timeouts);
    const bool select = header_lists_token(request, http::field::sec_websocket_protocol,
                                           protocol::subprotocol, token_case::sensitive);
    ws.set_option(websocket::stream_base::decorator([select](websocket::response_type& res) {
        res.set(http::field::server, "onymousd");
        if (select) res.set(http::field::sec_websocket_protocol, protocol::subprotocol);
    }));
}

/// What the end of a connection means for its session.
enum class ending : std::uint8_t {
    ends_session,  ///< a close frame, or a close for the client's own fault
    drop,          ///< lost without one (or idle): the resume grace applies
};

/// A read error's meaning for the session. A WebSocket closing handshake
/// took place when Beast reports one of its own errors (`closed`: the
/// client's close frame; the others: the client's protocol faults, 1007,
/// 1009, ..., which Beast answered with a close), when a close frame came in,
/// or when Beast had begun the TLS teardown it only starts after a close
/// (the TLS stream then ends with an error of that teardown, e.g. the
/// client's close frame arriving after our close_notify). Anything else is
/// the network: a drop.
template <class Stream>
ending ending_of(const boost::beast::error_code& ec, boost::beast::websocket::stream<Stream>& ws) {
    namespace websocket = boost::beast::websocket;
    if (ec.category() == make_error_code(websocket::error::closed).category())
        return ending::ends_session;
    if (ws.reason().code != websocket::close_code::none) return ending::ends_session;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
        if (SSL_get_shutdown(ws.next_layer().native_handle()) & SSL_SENT_SHUTDOWN)
            return ending::ends_session;
    }
    return ending::drop;
}

/// The code onymous_closes_total counts: ours when we closed (`ours`), else
/// the client's, else what Beast closed with for the client's protocol
/// fault; 1006 when the connection ended without any close frame.
template <class Stream>
std::uint16_t close_code_seen(const boost::beast::error_code& ec,
                              boost::beast::websocket::stream<Stream>& ws,
                              std::optional<protocol::close_code> ours) {
    namespace websocket = boost::beast::websocket;
    if (ours) return static_cast<std::uint16_t>(*ours);
    if (ws.reason().code != websocket::close_code::none) return ws.reason().code;
    if (ec == websocket::error::message_too_big) return 1009;
    if (ec == websocket::error::bad_frame_payload) return 1007;
    if (ec == websocket::condition::protocol_violation) return 1002;
    return 1006;
}

}  // namespace onymous::net
