#include "node_impl.hpp"

#include <algorithm>

namespace onymous::cluster {

void node::impl::pair_locally(member& a, member& b, const claimed& c) {
    highest_pair_ = std::max(highest_pair_, c.pair_id);
    stats.pairings_total.fetch_add(1, std::memory_order_relaxed);
    for (member* m : {&a, &b}) {
        if (m->rematch) m->rematch->cancel();
        set_state(*m, member::state::paired);
        m->pair_id = c.pair_id;
    }
    a.local_partner = &b;
    b.local_partner = &a;
    a.peer->matched({a.ticket, c.pair_id, c.caller_role, names(a, c.common_hashes), b.peer});
    b.peer->matched({b.ticket, c.pair_id, other(c.caller_role), names(b, c.common_hashes), a.peer});
}

void node::impl::pair_remotely(member& m, const claimed& c) {
    stats.pairings_total.fetch_add(1, std::memory_order_relaxed);
    auto& p = new_pair(c.pair_id, c.node, &m);
    send(p, pair_kind::matched, encode(note_for(m.id, c)));
    become_paired(m, p, c.member);
    p.stand_in = std::make_shared<remote_partner>(*this, c.pair_id);
    m.peer->matched({m.ticket, c.pair_id, c.caller_role, names(m, c.common_hashes), p.stand_in});
}

void node::impl::become_paired(member& m, remote_pair& p, const std::string& partner) {
    if (m.rematch) m.rematch->cancel();
    set_state(m, member::state::paired);
    m.pair_id = p.id;
    m.remote_pair = p.id;
    m.last_partner = partner;
}

remote_pair& node::impl::new_pair(std::uint64_t id, const std::string& node, member* local) {
    highest_pair_ = std::max(highest_pair_, id);
    auto& p = pairs_[id];
    p.id = id;
    p.node = node;
    p.local = local;
    if (!last_heard_.contains(node)) last_heard_[node] = clock::now();  // heard from soon
    return p;
}

void node::impl::end_pairing(member& m) {
    if (m.now != member::state::paired) return;
    if (m.local_partner != nullptr) {
        member& b = *m.local_partner;
        b.local_partner = nullptr;
        set_state(b, member::state::idle);
        b.peer->partner_left(m.pair_id);
        cool_down(m.id, b.id);
    } else if (auto it = pairs_.find(m.remote_pair); it != pairs_.end()) {
        it->second.local = nullptr;
        it->second.stand_in.reset();
        send(it->second, pair_kind::ended, {});
        cool_down(m.id, m.last_partner);
    }
    m.local_partner = nullptr;
    m.remote_pair = 0;
    set_state(m, member::state::idle);
}

member* node::impl::release_local(remote_pair& p) {
    member* m = p.local;
    if (m == nullptr) return nullptr;
    p.local = nullptr;
    p.stand_in.reset();
    m->remote_pair = 0;
    set_state(*m, member::state::idle);
    return m;
}

void node::impl::break_pair(std::uint64_t id, bool tell_other) {
    auto it = pairs_.find(id);
    if (it == pairs_.end()) return;
    remote_pair& p = it->second;
    if (member* m = release_local(p)) m->peer->partner_left(id);
    if (!tell_other) {
        pairs_.erase(it);
        return;
    }
    // `ended` is retried like any message, with a deadline of its own, so
    // that a side cut off by an outage hears of it once it is back; the
    // pair is forgotten when it is acknowledged (forget_if_done) or when
    // that deadline passes too.
    p.out.abandon();
    send(p, pair_kind::ended, {});
}

void node::impl::cool_down(const std::string& a, const std::string& b) {
    if (opts_.rematch_cooldown.count() == 0 || b.empty()) return;
    const auto until = wall_ms() + opts_.rematch_cooldown.count();
    // Only members of this node: their entries go when they do
    // (node.cpp), and a remote id would stay for the node's life.
    for (const auto* id : {&a, &b})
        if (find(*id) != nullptr) cooldown_ends_[*id] = until;
    commands_->command({"SET", cooldown_key(prefix_, generation_, a, b), "1", "PX",
                        std::to_string(opts_.rematch_cooldown.count())},
                       [](auto) {});
}

void node::impl::send(remote_pair& p, pair_kind kind, std::string payload) {
    std::string bytes = encode({wire_kind::pair_message,
                                id_,
                                p.id,
                                p.out.last_seq() + 1,
                                kind,
                                {},
                                {},
                                std::move(payload)});
    p.out.push(bytes, clock::now());
    counters.link_messages_total.fetch_add(1, std::memory_order_relaxed);
    publish(p.node, std::move(bytes));
}

void node::impl::publish(const std::string& node, std::string bytes) {
    publisher_->publish(prefix_ + ":n:" + node, std::move(bytes));
}

std::vector<std::string> node::impl::names(const member& m,
                                           const std::vector<std::string>& hashes) const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < m.hashes.size(); ++i)
        if (std::find(hashes.begin(), hashes.end(), m.hashes[i]) != hashes.end())
            out.push_back(m.interests[i]);
    return out;
}

void node::impl::on_message(std::string_view channel, std::string_view payload) {
    auto w = decode(payload);
    if (!w) return;
    if (channel == heartbeats_) {
        if (w->kind == wire_kind::abuse_events) {
            on_abuse_events(*w);
            return;
        }
        if (w->kind != wire_kind::heartbeat) return;
        if (w->from == id_)
            heard_own_heartbeat();
        else
            last_heard_[w->from] = clock::now();
        return;
    }
    last_heard_[w->from] = clock::now();
    if (w->kind == wire_kind::ack) {
        auto it = pairs_.find(w->pair);
        if (it == pairs_.end()) return;
        it->second.out.ack(w->seq);
        forget_if_done(it);
    } else if (w->kind == wire_kind::acks) {
        for (const auto& [pair, seq] : w->acks) {
            auto it = pairs_.find(pair);
            if (it == pairs_.end()) continue;
            it->second.out.ack(seq);
            forget_if_done(it);
        }
    } else if (w->kind == wire_kind::pair_message) {
        on_pair_message(*w);
    } else if (w->kind == wire_kind::take_over) {
        on_take_over(*w);
    } else if (w->kind == wire_kind::session || w->kind == wire_kind::take_over_failed) {
        on_bridge_answer(*w);
    } else if (w->kind == wire_kind::bridge_message) {
        on_bridge_message(*w);
    } else if (w->kind == wire_kind::bridge_ack) {
        on_bridge_ack(*w);
    }
}

void node::impl::on_pair_message(wire_message& w) {
    auto it = pairs_.find(w.pair);
    if (it == pairs_.end()) {
        if (w.what != pair_kind::matched || w.seq != 1) {
            // A pair we have forgotten: acknowledge, so that its sender
            // stops. A relay means the other side still thinks the pair
            // lives (our `ended` never reached it): it is told, unnumbered.
            publish(w.from, encode({wire_kind::ack, id_, w.pair, w.seq, {}, {}, {}, {}}));
            if (w.what == pair_kind::relay)
                publish(
                    w.from,
                    encode(
                        {wire_kind::pair_message, id_, w.pair, 0, pair_kind::ended, {}, {}, {}}));
            return;
        }
        highest_pair_ = std::max(highest_pair_, w.pair);
        it = pairs_.try_emplace(w.pair).first;
        it->second.id = w.pair;
        it->second.node = w.from;
    }
    remote_pair& p = it->second;
    if (w.seq == 0) {
        // "This pair is unknown here": it ended on the other side.
        if (w.what == pair_kind::ended) break_pair(p.id, false);
        return;
    }
    switch (p.in.accept(w.seq)) {
    case receiver::verdict::duplicate: owe_ack(p); return;
    case receiver::verdict::gap:
        counters.pairs_broken_gap_total.fetch_add(1, std::memory_order_relaxed);
        break_pair(p.id, true);
        return;
    case receiver::verdict::deliver: break;
    }
    owe_ack(p);
    switch (w.what) {
    case pair_kind::matched: on_claimed(p, w.payload); break;
    case pair_kind::relay:
        if (p.local) p.local->peer->relay(p.id, std::move(w.payload), clock::now());
        break;
    case pair_kind::ended:
        if (member* m = release_local(p)) {
            // The other node stored the cooldown too, but on its commands
            // connection, which `ended` (on its publisher) may overtake:
            // ours goes before m's next join on ours, so that join sees it.
            cool_down(m->id, m->last_partner);
            m->peer->partner_left(p.id);
        }
        break;
    }
}

void node::impl::on_claimed(remote_pair& p, std::string_view payload) {
    auto n = decode_note(payload);
    member* m = n ? find(n->member) : nullptr;
    if (m == nullptr || m->now != member::state::waiting || m->ticket != n->ticket ||
        m->in_fallback) {
        send(p, pair_kind::ended, {});  // it left meanwhile: the claimer's side ends
        return;
    }
    p.local = m;
    become_paired(*m, p, n->claimer);
    p.stand_in = std::make_shared<remote_partner>(*this, p.id);
    m->peer->matched({m->ticket, p.id, n->role, names(*m, n->common_hashes), p.stand_in});
}

namespace {

/// How long acks are gathered before they go: well under the first retry
/// (link_timing::retry_first, 100 ms), so that nothing is sent twice for
/// want of an ack that was only waiting, and long enough that a node busy
/// relaying acks many messages with one PUBLISH (docs/performance.md).
constexpr milliseconds ack_delay{20};

}  // namespace

void node::impl::owe_ack(remote_pair& p) {
    if (p.ack_owed) return;
    p.ack_owed = true;
    acks_owed_[p.node].push_back(p.id);
    if (ack_timer_armed_) return;
    ack_timer_armed_ = true;
    ack_timer_.expires_after(ack_delay);
    ack_timer_.async_wait([this](boost::system::error_code ec) {
        ack_timer_armed_ = false;
        if (ec || stopping_) return;  // a handler that fired before its cancel
        flush_acks();
    });
}

void node::impl::flush_acks() {
    auto owed = std::move(acks_owed_);
    acks_owed_.clear();
    for (const auto& [node, ids] : owed) {
        wire_message m;
        m.kind = wire_kind::acks;
        m.from = id_;
        for (const auto id : ids) {
            auto it = pairs_.find(id);
            if (it == pairs_.end() || !it->second.ack_owed) continue;
            it->second.ack_owed = false;
            m.acks.emplace_back(id, it->second.in.delivered());
        }
        if (m.acks.empty()) continue;
        publish(node, encode(m));
        for (const auto& [id, seq] : m.acks)
            if (auto it = pairs_.find(id); it != pairs_.end()) forget_if_done(it);
    }
}

void node::impl::forget_if_done(std::unordered_map<std::uint64_t, remote_pair>::iterator it) {
    const remote_pair& p = it->second;
    if (p.local == nullptr && p.out.idle() && !p.ack_owed) pairs_.erase(it);
}

void node::impl::start_ticks() {
    tick_timer_.expires_after(milliseconds(50));
    tick_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopping_) return;  // a handler that fired before its cancel
        tick();
        start_ticks();
    });
}

void node::impl::tick() {
    const auto now = clock::now();
    std::vector<std::uint64_t> expired;
    std::uint64_t across = 0;
    for (auto& [id, p] : pairs_) {
        if (p.local != nullptr) ++across;
        if (p.out.idle()) continue;
        if (p.out.expired(now)) {
            expired.push_back(id);
            if (p.local != nullptr)
                counters.pairs_broken_deadline_total.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        for (const auto& r : p.out.due(now)) {
            counters.link_retries_total.fetch_add(1, std::memory_order_relaxed);
            publish(p.node, *r.text);
        }
    }
    counters.pairs_across_nodes.store(across, std::memory_order_relaxed);
    tick_bridges(now);
    // A pair whose own `ended` went unanswered too is simply forgotten.
    for (auto id : expired) break_pair(id, pairs_.at(id).local != nullptr);
}

}  // namespace onymous::cluster
