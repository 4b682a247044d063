#include "node_impl.hpp"

#include <spdlog/spdlog.h>

namespace onymous::cluster {

void node::impl::start_heartbeats() {
    heartbeat_timer_.expires_after(opts_.settings.heartbeat_interval);
    heartbeat_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopping_) return;  // a handler that fired before its cancel
        heartbeat();
        start_heartbeats();
    });
}

void node::impl::heartbeat() {
    const auto now = clock::now();
    const auto timeout = opts_.settings.node_timeout;
    if (commands_->connected() && (generation_.empty() || !writable_)) fetch_generation();
    if (commands_->connected() && !generation_.empty()) {
        // On the publisher, like every message to other nodes: we live to
        // them exactly while what we send reaches them, and hearing our
        // own heartbeat probes that connection as well as the subscription.
        publisher_->publish(heartbeats_,
                            encode({wire_kind::heartbeat, id_, 0, 0, {}, {}, generation_, {}}));
        // The lease says which nodes live to whoever looks at Redis; its
        // answer says whether Redis takes writes (a replica does not).
        commands_->command({"SET", prefix_ + ":node:" + id_, "1", "PX", std::to_string(lease_ms())},
                           [this](std::optional<redis::reply> r) { note_write(r); });
        pool(touch_args(prefix_, id_, ttl_ms()));
        sync_address_key_daily();
    }
    // Our own heartbeat is the probe of the publisher and of the
    // subscription: connections that look fine and carry nothing are made
    // again (which of the two failed cannot be told, so both are).
    if (subscriber_->subscribed() && publisher_->connected() && commands_->connected() &&
        !generation_.empty() &&
        now - last_own_heartbeat_ > 3 * opts_.settings.heartbeat_interval + milliseconds(500)) {
        spdlog::warn(
            "cluster: our own heartbeat does not come back; publishing and subscribing "
            "again");
        last_own_heartbeat_ = now;
        publisher_->restart();
        subscriber_->restart();
    }
    // Cut off for node_timeout, we are dead to the others, who end their
    // halves of our pairs without a word to us: we end ours.
    if (now - last_own_heartbeat_ > timeout) {
        std::vector<std::uint64_t> ours;
        for (const auto& [id, p] : pairs_)
            if (p.local != nullptr) ours.push_back(id);
        counters.pairs_broken_node_down_total.fetch_add(ours.size(), std::memory_order_relaxed);
        for (auto id : ours) break_pair(id, true);
        break_bridges_with({});
    }
    // Nodes not heard for node_timeout are dead: their pairs end, their
    // waiters leave the pool. This check runs once a heartbeat
    // interval, so it looks one interval ahead: a death is acted on
    // within node_timeout. While we cannot hear anyone ourselves,
    // nobody is declared dead (the cross-node pairs end on their retry
    // deadline instead).
    if (counters.degraded.load(std::memory_order_relaxed) || !hearing_ourselves(now)) return;
    std::vector<std::string> dead;
    for (const auto& [node, heard] : last_heard_)
        if (now - heard > timeout - opts_.settings.heartbeat_interval) dead.push_back(node);
    for (const auto& node : dead) {
        last_heard_.erase(node);
        std::vector<std::uint64_t> ended;
        for (const auto& [id, p] : pairs_)
            if (p.node == node) ended.push_back(id);
        counters.pairs_broken_node_down_total.fetch_add(ended.size(), std::memory_order_relaxed);
        for (auto id : ended) break_pair(id, false);
        break_bridges_with(node);
        pool(purge_args(prefix_, node));
    }
    counters.nodes_alive.store(last_heard_.size(), std::memory_order_relaxed);
    update_degraded();
}

bool node::impl::hearing_ourselves(clock::time_point now) const {
    return now - last_own_heartbeat_ <= 2 * opts_.settings.heartbeat_interval;
}

void node::impl::heard_own_heartbeat() {
    const auto now = clock::now();
    // Back from a spell of hearing nothing (a hung Redis, a stalled
    // subscription): nobody could be heard meanwhile, so everyone gets a
    // fresh node_timeout before being judged.
    if (!hearing_ourselves(now))
        for (auto& [node, heard] : last_heard_) heard = now;
    last_own_heartbeat_ = now;
}

void node::impl::note_write(const std::optional<redis::reply>& r) {
    if (!r) return;  // no answer: the connection's loss says it
    const bool writable = !r->is_error("READONLY");
    if (writable == writable_) return;
    if (!writable)
        spdlog::warn("cluster: Redis is a read-only replica; degraded until it takes writes");
    writable_ = writable;
    update_degraded();
}

std::int64_t node::impl::ttl_ms() const {
    return std::chrono::duration_cast<milliseconds>(opts_.settings.node_timeout).count();
}

std::int64_t node::impl::lease_ms() const {
    return std::chrono::duration_cast<milliseconds>(
               (opts_.settings.heartbeat_interval + opts_.settings.node_timeout) / 2)
        .count();
}

}  // namespace onymous::cluster
