#include "cluster_fixture.hpp"

#include "ops_helpers.hpp"

#include <algorithm>
#include <thread>

namespace onymous::test {

cluster::cluster(cluster_options h) : how(std::move(h)) {
    for (std::size_t i = 0; i < how.nodes; ++i) start_node();
    await_connected();
}

daemon_process& cluster::start_node() {
    std::vector<config_override> overrides{
        {"cluster.redis", redis.url()},
        {"cluster.key_prefix", "test"},
        {"cluster.heartbeat_interval", how.heartbeat_interval},
        {"cluster.node_timeout", how.node_timeout},
        {"matching.rematch_cooldown", how.rematch_cooldown},
        {"matching.interest_timeout", how.interest_timeout},
    };
    overrides.insert(overrides.end(), how.extra.begin(), how.extra.end());
    nodes.push_back(std::make_unique<daemon_process>(launch_options{}, overrides));
    return *nodes.back();
}

void cluster::await_connected() {
    for (auto& n : nodes) {
        if (!n->running()) continue;
        wait_for_sample(*n, "onymous_cluster_degraded", {}, 0, allowance(10s), false);
    }
    double alive = 0;
    for (auto& n : nodes) alive += n->running() ? 1 : 0;
    for (auto& n : nodes)
        if (n->running())
            wait_for_sample(*n, "onymous_cluster_nodes_alive", {}, alive - 1, allowance(10s),
                            false);
}

std::size_t cluster::pooled_waiters() {
    const auto keys = redis.cli({"--scan", "--pattern", "test:w:*"});
    return static_cast<std::size_t>(std::count(keys.begin(), keys.end(), '\n')) +
           (keys.empty() ? 0 : 1);
}

ws_client open_on(const daemon_process& node) {
    connect_options plain;
    plain.tls = false;
    return open_client(node, plain);
}

std::string readiness(const daemon_process& node) {
    const auto r = http_exchange(node.admin_port(), false, get_request("/readyz"), 3s);
    std::string body = r.body;
    while (!body.empty() && body.back() == '\n') body.pop_back();
    return std::to_string(r.status) + " " + body;
}

void wait_for_readiness(const daemon_process& node, std::string_view expected, duration timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    while ((last = readiness(node)) != expected && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    INFO("/readyz answered " << last);
    REQUIRE(last == expected);
}

}  // namespace onymous::test
