#pragma once
// Sessions that other nodes hold (cluster mode; PROTOCOL.md, Resume). A
// `resume` whose token this node does not know is asked of the other nodes.
// The node that holds the session keeps it, with its pairing, its history
// and its links, and this node's connection carries it from then on: a
// bridge. What the session sends crosses to this node as finished frames;
// what the client sends crosses back as text. Nothing of the pairing moves,
// so nothing of it can be lost or reordered on the way.
//
// The session at this end of a bridge (the requester) hears, on any thread:
// bridge_answered() once, then bridge_frame() and bridge_close() (see
// signaling_session). Implemented by cluster::node; null in single-node mode.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace onymous::session {

class signaling_session;

class elsewhere {
public:
    virtual ~elsewhere() = default;

    /// Asks the other nodes for the session of `token`, to be resumed from
    /// `last_seq` over `requester`'s connection, whose hello gave
    /// credentials expiring at `expiry`. Returns the bridge's id, for the
    /// calls below. The requester is held weakly.
    virtual std::string resume(std::string token, std::uint64_t last_seq,
                               std::optional<std::chrono::system_clock::time_point> expiry,
                               std::weak_ptr<signaling_session> requester) = 0;
    /// A client message, for the session at the other end of `bridge`.
    virtual void client_text(const std::string& bridge, std::string text) = 0;
    /// The client's connection ended: `clean` ends the session there,
    /// otherwise its resume grace begins. The bridge is over.
    virtual void client_closed(const std::string& bridge, bool clean) = 0;
};

}  // namespace onymous::session
