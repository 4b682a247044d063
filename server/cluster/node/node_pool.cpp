#include "node_impl.hpp"

#include <spdlog/spdlog.h>

namespace onymous::cluster {

void node::impl::wait(member& m, std::uint64_t ticket) {
    m.ticket = ticket;
    m.joined_ms = wall_ms();
    set_state(m, member::state::waiting);
    if (counters.degraded.load(std::memory_order_relaxed))
        wait_in_fallback(m);
    else
        send_join(m);
}

void node::impl::send_join(member& m) {
    // Interests are hashed with the generation's key: a Redis that
    // restarted has a new one.
    if (m.hashed_with != generation_) {
        m.hashes.clear();
        for (const auto& i : m.interests) m.hashes.push_back(interest_hash(generation_, i));
        m.hashed_with = generation_;
    }
    join_request r;
    r.member = m.id;
    r.node = id_;
    r.mode = m.mode;
    r.pool = m.shadowed ? "shadow" : "default";
    r.joined_ms = m.joined_ms;
    r.now_ms = wall_ms();
    r.window_ms = opts_.interest_timeout.count();
    r.ticket = m.ticket;
    r.random = random_();
    r.ttl_ms = ttl_ms();
    r.hash_key = generation_;
    r.interest_hashes = m.hashes;
    run_pool(join_args(prefix_, r), m);
    if (m.suspended) pool(member_args(prefix_, "suspend", m.id));
}

void node::impl::rematch(member& m) {
    run_pool(rematch_args(prefix_, m.id, wall_ms(), random_(), ttl_ms(), generation_), m);
}

void node::impl::run_pool(std::vector<std::string> args, member& m) {
    const std::string id = m.id;
    const std::uint64_t ticket = m.ticket;
    script_.run(*commands_, {}, std::move(args), [this, id, ticket](std::optional<redis::reply> r) {
        on_pool_answer(id, ticket, r ? parse_pool_answer(*r) : std::nullopt);
    });
}

void node::impl::on_pool_answer(const std::string& id, std::uint64_t ticket,
                                std::optional<pool_answer> answer) {
    member* m = find(id);
    const bool current =
        m != nullptr && m->now == member::state::waiting && m->ticket == ticket && !m->in_fallback;
    if (!answer) {
        counters.redis_failures_total.fetch_add(1, std::memory_order_relaxed);
        // Redis did not answer: try again shortly, while it still waits.
        if (current) retry_later(*m, milliseconds(250));
        return;
    }
    if (answer->what == pool_answer::kind::gone) {
        // A rematch of a waiter the pool has lost (Redis restarted).
        if (current) send_join(*m);
        return;
    }
    if (answer->what == pool_answer::kind::queued) {
        if (current) arm_rematch(*m);
        return;
    }
    const claimed& c = answer->partner;
    if (!current) {
        release(id, c);
        return;
    }
    if (c.node == id_) {
        member* partner = find(c.member);
        if (partner == nullptr || partner->now != member::state::waiting ||
            partner->ticket != c.ticket || partner->in_fallback) {
            send_join(*m);  // it left meanwhile: m waits on
            return;
        }
        pair_locally(*m, *partner, c);
        return;
    }
    pair_remotely(*m, c);
}

void node::impl::release(const std::string& claimer, const claimed& c) {
    if (c.node == id_) {
        member* w = find(c.member);
        if (w && w->now == member::state::waiting && w->ticket == c.ticket && !w->in_fallback)
            send_join(*w);
        return;
    }
    // Its node learns it was matched, and that the pairing is over.
    auto& p = new_pair(c.pair_id, c.node, nullptr);
    send(p, pair_kind::matched, encode(note_for(claimer, c)));
    send(p, pair_kind::ended, {});
}

void node::impl::stop_waiting(member& m) {
    if (m.now != member::state::waiting) return;
    pool(member_args(prefix_, "leave", m.id));
    set_state(m, member::state::idle);
}

void node::impl::retry_later(member& m, milliseconds after) {
    if (stopping_) return;
    if (!m.rematch) m.rematch.emplace(io_);
    m.rematch->expires_after(after);
    m.rematch->async_wait([this, id = m.id, ticket = m.ticket](boost::system::error_code ec) {
        if (ec) return;
        member* w = find(id);
        if (!w || w->now != member::state::waiting || w->ticket != ticket || w->in_fallback) return;
        if (counters.degraded.load(std::memory_order_relaxed))
            wait_in_fallback(*w);
        else
            send_join(*w);
    });
}

void node::impl::arm_rematch(member& m) {
    if (stopping_) return;
    const auto now = wall_ms();
    std::int64_t at = 0;
    if (!m.hashes.empty() && m.joined_ms + opts_.interest_timeout.count() > now)
        at = m.joined_ms + opts_.interest_timeout.count();
    auto cd = cooldown_ends_.find(m.id);
    if (cd != cooldown_ends_.end() && cd->second > now && (at == 0 || cd->second < at))
        at = cd->second;
    if (at == 0) return;
    if (!m.rematch) m.rematch.emplace(io_);
    m.rematch->expires_after(milliseconds(at - now + 1));
    m.rematch->async_wait([this, id = m.id, ticket = m.ticket](boost::system::error_code ec) {
        if (ec) return;
        member* w = find(id);
        if (w && w->now == member::state::waiting && w->ticket == ticket && !w->suspended)
            rematch(*w);
    });
}

void node::impl::on_redis_connected() {
    // Before the generation: its answer ends `degraded`, and by then the
    // address key (answered first on this connection) is the cluster's.
    sync_address_key();
    load_report_log();
    fetch_generation();
}

void node::impl::fetch_generation() {
    // The generation tells a restarted, empty Redis from the one we
    // knew: then every waiter of ours is queued again. A replica has none
    // until it has synchronised, and refuses to make one: heartbeat() asks
    // again until it is known and Redis takes writes.
    commands_->command({"SET", prefix_ + ":generation", random_id(8), "NX"},
                       [this](std::optional<redis::reply> r) { note_write(r); });
    commands_->command({"GET", prefix_ + ":generation"}, [this](std::optional<redis::reply> r) {
        if (!r || r->type != redis::reply::kind::string) return;
        const bool restarted = !generation_.empty() && r->text != generation_;
        generation_ = r->text;
        if (restarted) {
            spdlog::warn("cluster: Redis lost its pool; queueing this node's waiters again");
            // Pair ids only grow, also across a Redis restart: a new
            // pair must never take the id of one still relaying.
            pool(raise_pairs_args(prefix_, highest_pair_));
            requeue_all();
        }
        update_degraded();
    });
}

void node::impl::requeue_all() {
    for (auto& [id, m] : members_) {
        if (m->now == member::state::waiting && !m->in_fallback) send_join(*m);
    }
}

void node::impl::on_redis_lost() {
    spdlog::warn("cluster: lost Redis; reconnecting");
    update_degraded();
}

void node::impl::update_degraded() {
    // With abuse controls to share, a node is ready only once it hashes
    // addresses as the others do: a client hashed under its own key would
    // escape the cluster's counters for its whole connection.
    const bool now =
        !(commands_->connected() && publisher_->connected() && subscriber_->subscribed() &&
          !generation_.empty() && writable_ && (!address_key_needed_ || address_key_adopted_));
    if (now == counters.degraded.load(std::memory_order_relaxed)) return;
    counters.degraded.store(now, std::memory_order_relaxed);
    on_degraded_changed(now);
}

}  // namespace onymous::cluster
