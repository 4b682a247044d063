#pragma once
// A cluster node (cluster.* in the configuration): the matchmaker of a daemon
// that shares one pool of strangers with other nodes through Redis
// (docs/architecture.md, Cluster mode).
//
//   - The waiting pool is in Redis (cluster/pool.hpp): a join runs one Lua
//     script that claims a random eligible waiter of any node, or queues.
//   - Pairs live in the nodes' memory. Two sessions of this node relay
//     directly, as in single-node mode. A pair across two nodes relays over
//     Pub/Sub, numbered, acknowledged and retried (cluster/link.hpp), each
//     node publishing to the other's channel; a gap or a deadline ends it
//     with partner_left on both sides.
//   - Nodes heartbeat on a shared channel and hold a lease key. A node not
//     heard for cluster.node_timeout is dead: its pairs end, its waiters are
//     purged from the pool.
//   - A resume whose token is not here is asked of the other nodes: the one
//     that holds the session keeps it and is lent this node's connection,
//     over a link numbered like a pair's (session/elsewhere.hpp).
//
// Threading: the matchmaker's calls come from the workers and are posted to
// the cluster thread, which alone touches members, pairs and Redis; peers
// are told through their callbacks (which post to their own homes).
// Nothing here includes Asio: the cluster thread is the implementation's.

#include <onymous/cluster/node_stats.hpp>
#include <onymous/config/config.hpp>
#include <onymous/match/matchmaker.hpp>
#include <onymous/session/elsewhere.hpp>

#include <chrono>
#include <memory>

namespace onymous::session {
class directory;
}
namespace onymous::abuse {
class controls;
}

namespace onymous::cluster {

struct node_options {
    config::cluster_settings settings;
    std::chrono::milliseconds interest_timeout{5000};
    std::chrono::milliseconds rematch_cooldown{30000};
    /// share_abuse() will be called: the node is not ready until it holds
    /// the cluster's address key.
    bool shares_abuse = false;
};

class node final : public match::matchmaker, public session::elsewhere {
public:
    /// Starts the cluster thread; it connects to Redis in the background.
    /// Throws std::invalid_argument for a cluster.redis it cannot parse.
    explicit node(node_options opts);
    /// Stops the cluster thread. Every handle must have been detached.
    ~node() override;
    node(const node&) = delete;
    node& operator=(const node&) = delete;

    handle* attach(std::shared_ptr<match::peer> p) override;
    using matchmaker::join;
    using matchmaker::next;
    /// `shadowed`: the waiter is in the shadow pool, in Redis as here.
    void join(handle* m, std::uint64_t ticket, protocol::chat_mode mode,
              std::vector<std::string> interests, bool shadowed) override;
    void next(handle* m, std::uint64_t ticket, bool shadowed) override;
    void leave(handle* m, std::uint64_t ticket) override;
    void detach(handle* m) override;
    void suspend(handle* m) override;
    void reactivate(handle* m, std::shared_ptr<match::peer> p) override;

    const match::matcher_stats& stats() const override;

    /// The sessions this node holds, for resumes that reach other nodes:
    /// set before the first connection, and null before the directory goes.
    void hold_sessions(session::directory* tokens);
    /// The daemon's abuse controls, whose counters every node shares
    /// (cluster/abuse_sharing.hpp): set before the first connection, and
    /// null before they go.
    void share_abuse(abuse::controls* controls);
    std::string resume(std::string token, std::uint64_t last_seq,
                       std::optional<std::chrono::system_clock::time_point> expiry,
                       std::weak_ptr<session::signaling_session> requester) override;
    void client_text(const std::string& bridge, std::string text) override;
    void client_closed(const std::string& bridge, bool clean) override;

    /// Redis unreachable or the subscription down (/readyz, /metrics).
    bool degraded() const;
    /// What the node counts (/metrics).
    const node_stats& counters() const;
    /// This node's id (cluster.node_id, or the random one).
    const std::string& id() const;

    class impl;

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace onymous::cluster
