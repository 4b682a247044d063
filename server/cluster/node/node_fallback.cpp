#include "node_impl.hpp"

#include <spdlog/spdlog.h>

namespace onymous::cluster {

void node::impl::wait_in_fallback(member& m) {
    if (m.fallback == nullptr) {
        m.proxy = std::make_shared<fallback_peer>(*this, m);
        m.fallback = fallback_->attach(m.proxy);
        if (m.suspended) fallback_->suspend(m.fallback);
    }
    if (m.rematch) m.rematch->cancel();
    m.in_fallback = true;
    fallback_->join(m.fallback, m.ticket, m.mode, m.interests, m.shadowed);  // may match at once
}

void node::impl::leave_fallback(member& m) {
    if (!m.in_fallback) return;
    end_fallback_state(m);
    m.in_fallback = false;
    fallback_->leave(m.fallback, m.ticket);
}

void node::impl::end_fallback_state(member& m) {
    if (m.now != member::state::paired) return;
    m.local_partner = nullptr;
    set_state(m, member::state::idle);
}

void node::impl::on_fallback_matched(member& m, match::pairing& p) {
    if (!m.in_fallback || m.now != member::state::waiting) return;
    member& other = static_cast<fallback_peer&>(*p.partner).who();
    // Fallback pairings are numbered above every pair this node knew
    // of, and Redis's counter is raised above them when it is back.
    m.fallback_pair = p.pair_id;
    m.local_partner = &other;
    set_state(m, member::state::paired);
    m.pair_id = fallback_base_ + p.pair_id;
    highest_pair_ = std::max(highest_pair_, m.pair_id);
    if (p.role == protocol::role::offerer)
        stats.pairings_total.fetch_add(1, std::memory_order_relaxed);
    m.peer->matched({p.ticket, m.pair_id, p.role, std::move(p.common_interests), other.peer});
}

void node::impl::on_fallback_partner_left(member& m, std::uint64_t fallback_pair) {
    if (!m.in_fallback || m.now != member::state::paired || m.fallback_pair != fallback_pair)
        return;
    const auto pair_id = m.pair_id;
    end_fallback_state(m);
    m.peer->partner_left(pair_id);
}

void node::impl::arm_fallback_wake(match::clock::time_point at) {
    if (stopping_) return;
    fallback_wake_.expires_at(at);
    fallback_wake_.async_wait([this](boost::system::error_code ec) {
        if (!ec) fallback_->poll();
    });
}

void node::impl::on_degraded_changed(bool now_degraded) {
    if (now_degraded) {
        spdlog::warn("cluster: degraded: pairing this node's sessions among themselves");
        fallback_base_ = highest_pair_;
        for (auto& [id, m] : members_) {
            if (m->now != member::state::waiting || m->in_fallback) continue;
            if (commands_->connected()) pool(member_args(prefix_, "leave", m->id));
            wait_in_fallback(*m);
        }
        return;
    }
    if (ever_ready_) spdlog::warn("cluster: connected to Redis again");
    ever_ready_ = true;
    pool(raise_pairs_args(prefix_, highest_pair_));
    // Our records in the pool are stale: waiters that were paired or left
    // while we could not tell Redis would stay there (and be claimed by
    // others) until their TTL. They go, and whoever still waits joins again.
    pool(purge_args(prefix_, id_));
    // Everyone gets a fresh node_timeout: we could not hear them.
    for (auto& [node, heard] : last_heard_) heard = clock::now();
    for (auto& [id, m] : members_) {
        if (m->now != member::state::waiting || !m->in_fallback) continue;
        leave_fallback(*m);
        send_join(*m);
    }
}

}  // namespace onymous::cluster
