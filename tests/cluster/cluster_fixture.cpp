#include "cluster_fixture.hpp"

#include "ops_helpers.hpp"

namespace onymous::test {

cluster::cluster(cluster_options h) : how(std::move(h)) {
    for (std::size_t i = 0; i < how.nodes; ++i) {
        nodes.push_back(std::make_unique<daemon_process>(std::initializer_list<config_override>{
            {"cluster.redis", redis.url()},
            {"cluster.key_prefix", "test"},
            {"cluster.heartbeat_interval", how.heartbeat_interval},
            {"cluster.node_timeout", how.node_timeout},
            {"matching.rematch_cooldown", how.rematch_cooldown},
        }));
    }
    await_connected();
}

void cluster::await_connected() {
    for (auto& n : nodes) wait_for_sample(*n, "onymous_cluster_degraded", {}, 0, allowance(10s), false);
}

ws_client open_on(const daemon_process& node) {
    connect_options plain;
    plain.tls = false;
    return open_client(node, plain);
}

}  // namespace onymous::test
