#pragma once
// What the matcher tells a session, and what a partner hands it. Implemented
// by the daemon's sessions, cluster mode's remote partners and test doubles;
// the matcher never sees a socket.

#include <onymous/protocol/messages.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace onymous::match {

class peer;

/// A pairing as one side sees it.
struct pairing {
    std::uint64_t ticket = 0;   ///< the ticket of the join/next this answers
    std::uint64_t pair_id = 0;  ///< unique per pairing, increasing
    protocol::role role = protocol::role::offerer;
    std::vector<std::string> common_interests;  ///< in the order the receiver named them
    std::shared_ptr<peer> partner;
};

/// Receives the matcher's decisions. Called from whichever thread runs the
/// matcher at that moment, in the order the decisions were taken: an
/// implementation must only hand the event over (post it to its own
/// executor), never block, never throw (the matcher is noexcept there and
/// would terminate) and never call back into the matcher synchronously.
class peer {
public:
    virtual ~peer() = default;
    /// Paired with `p.partner`.
    virtual void matched(pairing p) = 0;
    /// The pairing `pair_id` ended from the other side (next, leave, detach).
    virtual void partner_left(std::uint64_t pair_id) = 0;
    /// A message of pairing `pair_id` from the partner, as its wire text
    /// without seq (protocol/relay_text). Called by the partner, not the
    /// matcher: a session on this node, or cluster mode's stand-in for one
    /// on another node. `read_at`: when the partner's connection delivered
    /// it (metrics). Same rules as above: hand over, never block.
    virtual void relay(std::uint64_t pair_id, std::string text,
                       std::chrono::steady_clock::time_point read_at) = 0;
    /// The keyed hash of the client's address (abuse::controls::hash), for
    /// a report against it; 0 when not known (a partner on another node, a
    /// test double). Any thread; fixed before the peer is first matched.
    virtual std::uint64_t address_hash() const { return 0; }
};

}  // namespace onymous::match
