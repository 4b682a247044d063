#pragma once
// What a session needs of the connection it is attached to. The session
// knows nothing of sockets: net/websocket_connection implements this, the
// unit tests a fake. A session and its connection may live on different
// threads (after a resume), so every function here may be called from any
// thread and only hands the work over to the connection's own thread.

#include <onymous/protocol/messages.hpp>

#include <memory>
#include <string>

namespace onymous::session {

class signaling_session;

/// One server message's wire text, shared between the session's replay
/// history and the connection's write queue; immutable once built.
using frame = std::shared_ptr<const std::string>;

/// A connection's place in the daemon's connection limits
/// (limits.max_connections and the per-address ones), released when
/// destroyed. A session in its resume grace keeps its dropped connection's
/// place until it is resumed or its grace ends (PROTOCOL.md, Transport).
class place {
public:
    virtual ~place() = default;
};

class transport {
public:
    virtual ~transport() = default;
    /// Queues one text frame. Ignored once the connection is closing.
    virtual void send(frame text) = 0;
    /// Closes with `code` after what is queued. The connection reports its
    /// end to its session as usual; a session that has let go ignores it.
    virtual void close(protocol::close_code code) = 0;
    /// Closes with `code` at once, dropping what is queued (an eviction).
    virtual void close_now(protocol::close_code code) = 0;
    /// From now on the client's messages and the connection's end go to `s`
    /// (a resume handed this connection to an older session).
    virtual void attach(std::shared_ptr<signaling_session> s) = 0;
};

}  // namespace onymous::session
