#pragma once
// What nodes say to each other over Redis Pub/Sub: one message per
// PUBLISH, a header line of space-separated fields and, after it, the
// payload as bytes. Relayed client messages cross as the very text the
// single-node path hands a partner (protocol/relay_text): no re-encoding.
//
// Every field is an opaque id or a number: a node id, a session's random
// member id, a pair id, a sequence number. Nothing names a user.
//
//   to a node's channel, for one pair (numbered on that pair's link):
//     P <pair> <seq> <from> <kind>\n<payload>   kind: matched | relay | ended
//     A <pair> <seq> <from>                     ack: every number up to seq arrived
//     C <from>\n<pair>:<seq> <pair>:<seq> ...   the acks of many pairs, gathered
//                                               for a few ms (one PUBLISH, not one
//                                               per message)
//   to a node's channel, for a resume on another node (session/elsewhere.hpp):
//     T <bridge> <from> <last_seq> <expiry>\n<token>
//                                               take the session of token over
//                                               (expiry: of the requester's
//                                               TURN credentials, unix s, 0: none)
//     S <bridge> <from>                         taken: the session is bridged
//     F <bridge> <from>                         not here, or cannot be resumed
//     B <bridge> <seq> <from> <kind>\n<payload> kind: frame | text | closed | close
//     K <bridge> <seq> <from>                   ack: every number up to seq arrived
//   to every node:
//     H <from> <generation>                     a heartbeat
//     E <from>\n<events>                        what the node's abuse controls
//                                               counted, gathered for a few ms
//                                               (cluster/abuse_sharing.hpp)

#include <onymous/protocol/messages.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::cluster {

enum class wire_kind : std::uint8_t {
    pair_message,      ///< P
    ack,               ///< A
    acks,              ///< C
    take_over,         ///< T
    session,           ///< S
    take_over_failed,  ///< F
    bridge_message,    ///< B
    bridge_ack,        ///< K
    heartbeat,         ///< H
    abuse_events,      ///< E
};

/// What a bridge message carries: the holder of a session sends `frame`
/// and `close`, the node with the client's connection `text` and `closed`.
enum class bridge_kind : std::uint8_t {
    frame,   ///< a finished server message, for the client as it is
    text,    ///< a client message, for the session
    closed,  ///< the client's connection ended; payload "clean" or "drop"
    close,   ///< the session closes the connection; payload the close code
};

/// What a pair message carries.
enum class pair_kind : std::uint8_t {
    matched,  ///< the claimer tells the waiter's node: payload is the pairing (pairing_note)
    relay,    ///< a client message for the partner: payload is its relay text
    ended,    ///< the sender's side left the pair (next, leave, end): partner_left
};

struct wire_message {
    wire_kind kind = wire_kind::heartbeat;
    std::string from;                       ///< the sending node's id
    std::uint64_t pair = 0;                 ///< P, A
    std::uint64_t seq = 0;                  ///< P, A, B, K; T: last_seq
    pair_kind what = pair_kind::relay;      ///< P
    std::string request;                    ///< T, S, F, B, K: the bridge's id
    std::string other;                      ///< H: generation
    std::string payload;                    ///< P, T (the token), B, E
    bridge_kind part = bridge_kind::frame;  ///< B
    std::uint64_t expiry = 0;               ///< T: unix seconds, 0: none
    /// C: (pair, seq) for each pair acknowledged.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> acks{};
};

/// The payload of a pair's first message, `matched`: the claiming node tells
/// the waiter's node who claimed whom, for which of the waiter's joins, the
/// waiter's role, and the common interests as hashes (in the claimer's
/// order; the waiter's node puts them in the waiter's own).
struct pairing_note {
    std::string claimer;  ///< member id
    std::string member;   ///< the claimed waiter's member id
    std::uint64_t ticket = 0;
    protocol::role role = protocol::role::offerer;  ///< the claimed waiter's
    std::vector<std::string> common_hashes;
};
std::string encode(const pairing_note& n);
std::optional<pairing_note> decode_note(std::string_view text);

/// A node id, member id, request id or generation: 1 to 64 characters of
/// [A-Za-z0-9_-]. What config and tokens must hold to fit on the wire.
bool is_wire_id(std::string_view id);

std::string encode(const wire_message& m);
/// nullopt for anything that is not a message of this format.
std::optional<wire_message> decode(std::string_view bytes);

}  // namespace onymous::cluster
