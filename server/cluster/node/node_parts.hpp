#pragma once
// The records cluster::node::impl (node_impl.hpp) keeps, and the stand-ins
// it gives the matcher and the sessions: a session's member, its partner on
// another node (remote_partner), its peer in the fallback pool while
// degraded, a cross-node pair, and a bridge (a resume of a session another
// node holds) with its transport. Everything here belongs to the cluster
// thread unless it says otherwise.

#include "node.hpp"

#include <onymous/cluster/link.hpp>
#include <onymous/cluster/pool.hpp>
#include <onymous/cluster/wire.hpp>
#include <onymous/match/matcher.hpp>
#include <onymous/session/transport.hpp>

#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace onymous::cluster {

namespace asio = boost::asio;

/// `bytes` random bytes as hex: member ids, node ids, generations.
std::string random_id(std::size_t bytes = 12);
/// Wall-clock milliseconds, as the pool holds join times and windows. A
/// waiter's window is only ever compared with its own node's clock (at its
/// join and at its rematch), so nodes need not agree on the time.
std::int64_t wall_ms();

inline protocol::role other(protocol::role r) {
    return r == protocol::role::offerer ? protocol::role::answerer : protocol::role::offerer;
}

/// What `claimer` tells the node of the waiter it claimed (`c`).
inline pairing_note note_for(const std::string& claimer, const claimed& c) {
    return {claimer, c.member, c.ticket, other(c.caller_role), c.common_hashes};
}

/// A session's record, made by attach() on its thread, then touched by the
/// cluster thread only.
struct member final : match::matchmaker::handle {
    explicit member(std::shared_ptr<match::peer> p) : id(random_id()), peer(std::move(p)) {}

    enum class state : std::uint8_t { idle, waiting, paired };

    const std::string id;
    std::shared_ptr<match::peer> peer;
    state now = state::idle;
    bool ever_joined = false;
    bool suspended = false;
    bool shadowed = false;  ///< of its last join or next: waits in the shadow pool
    std::uint64_t ticket = 0;
    protocol::chat_mode mode = protocol::chat_mode::video;
    std::vector<std::string> interests;
    std::vector<std::string> hashes;         ///< of interests, in the same order
    std::optional<std::string> hashed_with;  ///< the generation that keyed `hashes`
    std::int64_t joined_ms = 0;
    std::uint64_t pair_id = 0;
    member* local_partner = nullptr;  ///< paired on this node
    std::uint64_t remote_pair = 0;    ///< paired across nodes: the pair's id
    std::string last_partner;         ///< member id, for the cooldown
    std::optional<asio::steady_timer> rematch;

    // While the node is degraded its waiters meet in a pool of its own
    // (the single-node matcher), which calls back through `proxy`.
    match::matchmaker::handle* fallback = nullptr;
    std::shared_ptr<match::peer> proxy;
    bool in_fallback = false;         ///< waiting or paired in that pool
    std::uint64_t fallback_pair = 0;  ///< the fallback matcher's id of the pairing
};

/// What a local session holds as its partner when the partner is on another
/// node: relays go to the cluster thread, which numbers and publishes them.
class remote_partner final : public match::peer {
public:
    remote_partner(node::impl& n, std::uint64_t pair_id) : node_(n), pair_id_(pair_id) {}
    void matched(match::pairing) override {}      // never: only named as a partner
    void partner_left(std::uint64_t) override {}  // never: idem
    void relay(std::uint64_t pair_id, std::string text,
               std::chrono::steady_clock::time_point) override;

private:
    node::impl& node_;
    std::uint64_t pair_id_;
};

/// What the fallback matcher calls: straight into the node, on the cluster
/// thread, the only one that calls that matcher (so its callbacks run inside
/// the node's own calls; they never call the matcher back).
class fallback_peer final : public match::peer {
public:
    fallback_peer(node::impl& n, member& m) : node_(n), member_(m) {}
    void matched(match::pairing p) override;
    void partner_left(std::uint64_t pair_id) override;
    void relay(std::uint64_t, std::string, std::chrono::steady_clock::time_point) override {}
    member& who() const { return member_; }

private:
    node::impl& node_;
    member& member_;
};

/// The half of a cross-node pair on this node.
struct remote_pair {
    std::uint64_t id = 0;
    std::string node;         ///< the other half's node
    member* local = nullptr;  ///< null once our side left (we wait for acks)
    sender out;
    receiver in;
    bool ack_owed = false;
    /// The local session's partner while it is paired: sessions hold their
    /// partner weakly, so the stand-in lives exactly as long as the pair.
    std::shared_ptr<remote_partner> stand_in;
};

/// The connection a session held here is lent by another node (the holder's
/// end of a bridge): what the session sends crosses to that node.
class bridge_transport final : public session::transport {
public:
    bridge_transport(node::impl& n, std::string bridge) : node_(n), bridge_(std::move(bridge)) {}
    void send(session::frame text) override;
    void close(protocol::close_code code) override;
    void close_now(protocol::close_code code) override { close(code); }
    void attach(std::shared_ptr<session::signaling_session> s) override;

private:
    node::impl& node_;
    const std::string bridge_;
};

/// One end of a bridge (session/elsewhere.hpp): the holder's, where the
/// session lives, or the requester's, where its client is connected.
struct bridge {
    std::string id;
    std::string node;  ///< the other end's; the requester's is empty until answered
    bool holder = false;
    bool open = true;  ///< neither end has closed it
    sender out;
    receiver in;
    bool ack_owed = false;
    clock::time_point since;  ///< asked, or taken over

    // The holder's end.
    std::weak_ptr<session::signaling_session> session;
    std::shared_ptr<bridge_transport> transport;
    /// The session took the connection over: S is sent, and after it
    /// what the session sent while taking it (held).
    bool taken = false;
    std::vector<std::pair<bridge_kind, std::string>> held;

    // The requester's end.
    std::weak_ptr<session::signaling_session> requester;
    std::size_t answers_missing = 0;  ///< asked nodes that have not said F
};

}  // namespace onymous::cluster
