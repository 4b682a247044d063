#pragma once
// What a cluster node counts for /metrics (docs/operations.md, Cluster
// mode): written by the cluster thread, read by the admin endpoint, relaxed
// atomics.

#include <atomic>
#include <cstdint>

namespace onymous::cluster {

struct node_stats {
    /// Redis unreachable, or this node's subscription down.
    std::atomic<bool> degraded{true};
    /// Other nodes heard within node_timeout.
    std::atomic<std::uint64_t> nodes_alive{0};
    /// Pairs with one half here and the other on another node.
    std::atomic<std::uint64_t> pairs_across_nodes{0};
    /// Messages of cross-node pairs published (first sends), and re-sent.
    std::atomic<std::uint64_t> link_messages_total{0};
    std::atomic<std::uint64_t> link_retries_total{0};
    /// Cross-node pairs that ended without their partner's word, by reason.
    std::atomic<std::uint64_t> pairs_broken_gap_total{0};
    std::atomic<std::uint64_t> pairs_broken_deadline_total{0};
    std::atomic<std::uint64_t> pairs_broken_node_down_total{0};
    /// Resumes of sessions other nodes hold (session/elsewhere.hpp), by
    /// outcome as this node saw it: bridged here, or no node took it.
    std::atomic<std::uint64_t> resumes_bridged_total{0};
    std::atomic<std::uint64_t> resumes_not_found_total{0};
    /// Bridges with one end here: sessions held here and carried by
    /// another node's connection, and the other way round.
    std::atomic<std::uint64_t> bridges{0};
    /// Abuse events (a `next`, a report) this node published for the
    /// others, and those it counted from the others (cluster/abuse_sharing.hpp).
    std::atomic<std::uint64_t> abuse_events_sent_total{0};
    std::atomic<std::uint64_t> abuse_events_received_total{0};
    /// Pool operations Redis did not answer (retried, or the node degraded).
    std::atomic<std::uint64_t> redis_failures_total{0};
};

}  // namespace onymous::cluster
