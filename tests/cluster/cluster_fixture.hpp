#pragma once
// A cluster for the tests: one real redis-server (tests/redis/redis_server)
// and `nodes` onymousd processes in cluster mode against it, on 127.0.0.1,
// with short heartbeats so that liveness is tested in a second or two.

#include "helpers.hpp"
#include "redis_server.hpp"

#include <memory>
#include <string>
#include <vector>

namespace onymous::test {

struct cluster_options {
    std::size_t nodes = 3;
    std::string heartbeat_interval = "200ms";
    std::string node_timeout = "1500ms";
    std::string rematch_cooldown = "0s";
    std::string interest_timeout = "5s";
    /// More overrides for every node (abuse settings, say).
    std::vector<config_override> extra = {};
};

class cluster {
public:
    explicit cluster(cluster_options how = {});

    redis_server redis;
    std::vector<std::unique_ptr<daemon_process>> nodes;

    daemon_process& node(std::size_t i) { return *nodes.at(i); }
    /// Starts one more node as the others were (not awaited: see await_connected).
    daemon_process& start_node();
    /// How many waiters the pool in Redis holds now (their records).
    std::size_t pooled_waiters();
    /// Waits until every node reports that it is connected to Redis and
    /// subscribed (onymous_cluster_degraded 0) and hears every other node
    /// (onymous_cluster_nodes_alive).
    void await_connected();

    cluster_options how;
};

/// A plain-WebSocket client of `node`.
ws_client open_on(const daemon_process& node);

/// GET /readyz on the node's admin listener: "200 ready", "503 overloaded"...
std::string readiness(const daemon_process& node);
/// Polls /readyz until it says `expected` (as readiness() spells it); fails
/// the test with the last answer after `timeout`.
void wait_for_readiness(const daemon_process& node, std::string_view expected, duration timeout);

}  // namespace onymous::test
