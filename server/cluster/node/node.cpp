#include "node.hpp"

#include "../../redis/client.hpp"

#include <onymous/cluster/link.hpp>
#include <onymous/cluster/pool.hpp>
#include <onymous/cluster/wire.hpp>
#include <onymous/match/matcher.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace onymous::cluster {
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

/// `bytes` random bytes as hex: member ids, node ids, generations.
std::string random_id(std::size_t bytes = 12) {
    std::vector<unsigned char> raw(bytes);
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
        throw std::runtime_error("no random bytes for a cluster id");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : raw) {
        out += hex[b >> 4];
        out += hex[b & 0xf];
    }
    return out;
}

/// Wall-clock milliseconds: join times and interest windows are compared
/// across nodes, so the pool uses the clock the nodes share (NTP).
std::int64_t wall_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

protocol::role other(protocol::role r) {
    return r == protocol::role::offerer ? protocol::role::answerer : protocol::role::offerer;
}

/// The note a claiming node sends the waiter's node: who claimed whom, for
/// which of the waiter's joins, its role, and the common interests (as
/// hashes, in the claimer's order: the waiter's node puts them in its own).
std::string matched_note(const std::string& claimer, const claimed& c) {
    std::string out = claimer + ' ' + c.member + ' ' + std::to_string(c.ticket) + ' ' +
                      std::string(protocol::to_string(other(c.caller_role)));
    for (const auto& h : c.common_hashes) out += ' ' + h;
    return out;
}

struct note {
    std::string claimer;
    std::string member;
    std::uint64_t ticket = 0;
    protocol::role role = protocol::role::offerer;
    std::vector<std::string> common_hashes;
};

std::optional<note> parse_note(std::string_view text) {
    std::vector<std::string> words;
    std::size_t at = 0;
    while (at < text.size()) {
        auto end = text.find(' ', at);
        if (end == std::string_view::npos) end = text.size();
        if (end > at) words.emplace_back(text.substr(at, end - at));
        at = end + 1;
    }
    if (words.size() < 4) return std::nullopt;
    note out;
    out.claimer = words[0];
    out.member = words[1];
    try {
        out.ticket = std::stoull(words[2]);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (words[3] == "offerer")
        out.role = protocol::role::offerer;
    else if (words[3] == "answerer")
        out.role = protocol::role::answerer;
    else
        return std::nullopt;
    out.common_hashes.assign(words.begin() + 4, words.end());
    return out;
}

}  // namespace

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
    std::uint64_t ticket = 0;
    protocol::chat_mode mode = protocol::chat_mode::video;
    std::vector<std::string> interests;
    std::vector<std::string> hashes;  ///< of interests, in the same order
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
    bool in_fallback = false;        ///< waiting or paired in that pool
    std::uint64_t fallback_pair = 0;  ///< the fallback matcher's id of the pairing
};

/// What a local session holds as its partner when the partner is on another
/// node: relays go to the cluster thread, which numbers and publishes them.
class remote_partner final : public match::peer {
public:
    remote_partner(node::impl& n, std::uint64_t pair_id) : node_(n), pair_id_(pair_id) {}
    void matched(match::pairing) override {}            // never: only named as a partner
    void partner_left(std::uint64_t) override {}        // never: idem
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
    std::string node;  ///< the other half's node
    member* local = nullptr;  ///< null once our side left (we wait for acks)
    sender out;
    receiver in;
    bool ack_owed = false;
    /// The local session's partner while it is paired: sessions hold their
    /// partner weakly, so the stand-in lives exactly as long as the pair.
    std::shared_ptr<remote_partner> stand_in;
};

class node::impl {
public:
    explicit impl(node_options opts)
        : opts_(std::move(opts)),
          id_(opts_.settings.node_id.empty() ? random_id(8) : opts_.settings.node_id),
          prefix_(opts_.settings.key_prefix),
          channel_(prefix_ + ":n:" + id_),
          heartbeats_(prefix_ + ":hb"),
          script_(std::string(pool_script())),
          random_(std::random_device{}()) {
        auto where = redis::parse_url(opts_.settings.redis);
        if (!where) throw std::invalid_argument("cluster.redis is not a Redis URL");
        redis::options ro;
        ro.command_timeout = std::max<milliseconds>(
            milliseconds(500), std::chrono::duration_cast<milliseconds>(opts_.settings.node_timeout) / 2);
        commands_.emplace(io_, *where, ro);
        subscriber_.emplace(io_, *where, std::vector<std::string>{channel_, heartbeats_}, ro);
        commands_->on_connected = [this] { on_redis_connected(); };
        commands_->on_disconnected = [this] { on_redis_lost(); };
        subscriber_->on_message = [this](std::string_view ch, std::string_view payload) {
            on_message(ch, payload);
        };
        subscriber_->on_subscribed = [this] {
            last_own_heartbeat_ = clock::now();
            update_degraded();
        };
        subscriber_->on_disconnected = [this] { update_degraded(); };
        match::options fo;
        fo.interest_timeout = opts_.interest_timeout;
        fo.rematch_cooldown = opts_.rematch_cooldown;
        fo.wake_at = [this](match::clock::time_point at) {
            asio::post(io_, [this, at] { arm_fallback_wake(at); });
        };
        fallback_.emplace(std::move(fo));
        thread_ = std::thread([this] {
            commands_->start();
            subscriber_->start();
            start_heartbeats();
            start_ticks();
            io_.run();
        });
    }

    ~impl() {
        asio::post(io_, [this] {
            heartbeat_timer_.cancel();
            tick_timer_.cancel();
            fallback_wake_.cancel();
            for (auto& [id, m] : members_)
                if (m->rematch) m->rematch->cancel();
            subscriber_->stop();
            finish_commands(clock::now() + milliseconds(1000));
        });
        thread_.join();
        subscriber_.reset();
        commands_.reset();
    }

    /// At exit: what the sessions' last leaves and partings sent (the
    /// pool's leave, "ended" to partners elsewhere) gets its chance to
    /// reach Redis, for at most a second, before the connection closes.
    void finish_commands(clock::time_point deadline) {
        if (commands_->connected() && commands_->pending() > 0 && clock::now() < deadline) {
            tick_timer_.expires_after(milliseconds(10));
            tick_timer_.async_wait([this, deadline](boost::system::error_code) {
                finish_commands(deadline);
            });
            return;
        }
        commands_->stop();
        guard_.reset();
    }

    // ---- the matchmaker's calls, posted from the workers ----

    match::matchmaker::handle* attach(std::shared_ptr<match::peer> p) {
        auto owned = std::make_unique<member>(std::move(p));
        member* m = owned.get();
        asio::post(io_, [this, owned = std::move(owned)]() mutable {
            const auto id = owned->id;
            members_.emplace(id, std::move(owned));
        });
        return m;
    }

    void join(member* m, std::uint64_t ticket, protocol::chat_mode mode,
              std::vector<std::string> interests) {
        asio::post(io_, [this, m, ticket, mode, interests = std::move(interests)]() mutable {
            count();
            if (m->now != member::state::idle) return;  // the session answered bad_state
            m->mode = mode;
            m->interests = std::move(interests);
            m->hashed_with.reset();
            m->ever_joined = true;
            wait(*m, ticket);
        });
    }

    void next(member* m, std::uint64_t ticket) {
        asio::post(io_, [this, m, ticket] {
            count();
            if (!m->ever_joined) return;
            if (m->in_fallback && degraded.load(std::memory_order_relaxed)) {
                // The fallback matcher ends the pairing and queues again.
                end_fallback_state(*m);
                m->ticket = ticket;
                m->joined_ms = wall_ms();
                set_state(*m, member::state::waiting);
                fallback_->next(m->fallback, ticket);
                return;
            }
            leave_fallback(*m);
            end_pairing(*m);
            wait(*m, ticket);
        });
    }

    void leave(member* m, std::uint64_t ticket) {
        asio::post(io_, [this, m, ticket] {
            count();
            m->ticket = ticket;  // a pool answer for the old ticket is stale now
            leave_fallback(*m);
            end_pairing(*m);
            stop_waiting(*m);
        });
    }

    void detach(member* m) {
        asio::post(io_, [this, m] {
            count();
            leave_fallback(*m);
            end_pairing(*m);
            stop_waiting(*m);
            if (m->fallback != nullptr) fallback_->detach(m->fallback);
            cooldown_ends_.erase(m->id);
            members_.erase(m->id);
        });
    }

    void suspend(member* m) {
        asio::post(io_, [this, m] {
            count();
            m->suspended = true;
            if (m->fallback != nullptr) fallback_->suspend(m->fallback);
            if (m->now == member::state::waiting && !m->in_fallback)
                pool(member_args(prefix_, "suspend", m->id));
        });
    }

    void reactivate(member* m, std::shared_ptr<match::peer> p) {
        asio::post(io_, [this, m, p = std::move(p)]() mutable {
            count();
            m->peer = std::move(p);
            m->suspended = false;
            if (m->fallback != nullptr) fallback_->reactivate(m->fallback, m->proxy);
            if (m->now != member::state::waiting || m->in_fallback) return;
            pool(member_args(prefix_, "unsuspend", m->id));
            rematch(*m);
        });
    }

    /// A relay from a local session to its partner on another node.
    void relay_out(std::uint64_t pair_id, std::string text) {
        auto it = pairs_.find(pair_id);
        if (it == pairs_.end() || it->second.local == nullptr) return;  // the pair is over
        send(it->second, pair_kind::relay, std::move(text));
    }

    match::matcher_stats stats;
    std::atomic<bool> degraded{true};
    const std::string& id() const { return id_; }
    asio::io_context& io() { return io_; }

private:
    using clock = std::chrono::steady_clock;

    void count() { stats.operations_total.fetch_add(1, std::memory_order_relaxed); }

    // ---- waiting ----

    /// Queues `m` in the pool (or pairs it) for `ticket`, as a new wait.
    void wait(member& m, std::uint64_t ticket) {
        m.ticket = ticket;
        m.joined_ms = wall_ms();
        set_state(m, member::state::waiting);
        if (degraded.load(std::memory_order_relaxed))
            wait_in_fallback(m);
        else
            send_join(m);
    }

    // ---- the fallback pool, while degraded ----

    /// `m` (waiting, not in the fallback pool) waits among this node's own.
    void wait_in_fallback(member& m) {
        if (m.fallback == nullptr) {
            m.proxy = std::make_shared<fallback_peer>(*this, m);
            m.fallback = fallback_->attach(m.proxy);
            if (m.suspended) fallback_->suspend(m.fallback);
        }
        if (m.rematch) m.rematch->cancel();
        m.in_fallback = true;
        fallback_->join(m.fallback, m.ticket, m.mode, m.interests);  // may match at once
    }

    /// Takes `m` out of the fallback pool, if it is there: a partner there
    /// gets partner_left (inside this call). `m` keeps its state otherwise.
    void leave_fallback(member& m) {
        if (!m.in_fallback) return;
        end_fallback_state(m);
        m.in_fallback = false;
        fallback_->leave(m.fallback, m.ticket);
    }

    void end_fallback_state(member& m) {
        if (m.now != member::state::paired) return;
        m.local_partner = nullptr;
        set_state(m, member::state::idle);
    }

public:
    void on_fallback_matched(member& m, match::pairing& p) {
        if (!m.in_fallback || m.now != member::state::waiting) return;
        member& other = static_cast<fallback_peer&>(*p.partner).who();
        // Fallback pairings are numbered above every pair this node knew
        // of, and Redis's counter is raised above them when it is back.
        m.fallback_pair = p.pair_id;
        m.local_partner = &other;
        set_state(m, member::state::paired);
        m.pair_id = fallback_base_ + p.pair_id;
        highest_pair_ = std::max(highest_pair_, m.pair_id);
        if (p.role == protocol::role::offerer) stats.pairings_total.fetch_add(1, std::memory_order_relaxed);
        m.peer->matched({p.ticket, m.pair_id, p.role, std::move(p.common_interests), other.peer});
    }

    void on_fallback_partner_left(member& m, std::uint64_t fallback_pair) {
        if (!m.in_fallback || m.now != member::state::paired || m.fallback_pair != fallback_pair)
            return;
        const auto pair_id = m.pair_id;
        end_fallback_state(m);
        m.peer->partner_left(pair_id);
    }

private:
    void arm_fallback_wake(match::clock::time_point at) {
        fallback_wake_.expires_at(at);
        fallback_wake_.async_wait([this](boost::system::error_code ec) {
            if (!ec) fallback_->poll();
        });
    }

    /// Lost Redis (or our subscription): waiters move to the fallback
    /// pool. Back: they move to Redis, with the join time they had.
    void on_degraded_changed(bool now_degraded) {
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
        spdlog::warn("cluster: connected to Redis again");
        pool(raise_pairs_args(prefix_, highest_pair_));
        // Everyone gets a fresh node_timeout: we could not hear them.
        for (auto& [node, heard] : last_heard_) heard = clock::now();
        for (auto& [id, m] : members_) {
            if (m->now != member::state::waiting || !m->in_fallback) continue;
            leave_fallback(*m);
            send_join(*m);
        }
    }

    void send_join(member& m) {
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

    void rematch(member& m) {
        run_pool(rematch_args(prefix_, m.id, wall_ms(), random_(), ttl_ms(), generation_), m);
    }

    /// Runs a join or rematch for `m` and applies the answer, if it still
    /// concerns the same wait.
    void run_pool(std::vector<std::string> args, member& m) {
        const std::string id = m.id;
        const std::uint64_t ticket = m.ticket;
        script_.run(*commands_, {}, std::move(args),
                    [this, id, ticket](std::optional<redis::reply> r) {
                        on_pool_answer(id, ticket, r ? parse_pool_answer(*r) : std::nullopt);
                    });
    }

    void on_pool_answer(const std::string& id, std::uint64_t ticket,
                        std::optional<pool_answer> answer) {
        member* m = find(id);
        const bool current = m != nullptr && m->now == member::state::waiting &&
                             m->ticket == ticket && !m->in_fallback;
        if (!answer) {
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
            release(c);
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

    /// The pool claimed `c` for a wait that is over: it waits on.
    void release(const claimed& c) {
        if (c.node == id_) {
            member* w = find(c.member);
            if (w && w->now == member::state::waiting && w->ticket == c.ticket && !w->in_fallback)
                send_join(*w);
            return;
        }
        // Its node learns it was matched, and that the pairing is over.
        auto& p = new_pair(c.pair_id, c.node, nullptr);
        send(p, pair_kind::matched, matched_note({}, c));
        send(p, pair_kind::ended, {});
    }

    void stop_waiting(member& m) {
        if (m.now != member::state::waiting) return;
        pool(member_args(prefix_, "leave", m.id));
        set_state(m, member::state::idle);
    }

    void retry_later(member& m, milliseconds after) {
        if (!m.rematch) m.rematch.emplace(io_);
        m.rematch->expires_after(after);
        m.rematch->async_wait([this, id = m.id, ticket = m.ticket](boost::system::error_code ec) {
            if (ec) return;
            member* w = find(id);
            if (!w || w->now != member::state::waiting || w->ticket != ticket || w->in_fallback) return;
            if (degraded.load(std::memory_order_relaxed))
                wait_in_fallback(*w);
            else
                send_join(*w);
        });
    }

    /// A queued waiter is looked at again when its interest window ends
    /// and when the cooldown with its last partner ends: either may make it
    /// eligible without anyone new arriving.
    void arm_rematch(member& m) {
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

    // ---- pairs ----

    void pair_locally(member& a, member& b, const claimed& c) {
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

    void pair_remotely(member& m, const claimed& c) {
        stats.pairings_total.fetch_add(1, std::memory_order_relaxed);
        auto& p = new_pair(c.pair_id, c.node, &m);
        send(p, pair_kind::matched, matched_note(m.id, c));
        become_paired(m, p, c.member);
        p.stand_in = std::make_shared<remote_partner>(*this, c.pair_id);
        m.peer->matched({m.ticket, c.pair_id, c.caller_role, names(m, c.common_hashes), p.stand_in});
    }

    void become_paired(member& m, remote_pair& p, const std::string& partner) {
        if (m.rematch) m.rematch->cancel();
        set_state(m, member::state::paired);
        m.pair_id = p.id;
        m.remote_pair = p.id;
        m.last_partner = partner;
    }

    remote_pair& new_pair(std::uint64_t id, const std::string& node, member* local) {
        highest_pair_ = std::max(highest_pair_, id);
        auto& p = pairs_[id];
        p.id = id;
        p.node = node;
        p.local = local;
        if (!last_heard_.contains(node)) last_heard_[node] = clock::now();  // heard from soon
        return p;
    }

    /// `m` leaves its pairing, if it has one (next, leave, detach): the
    /// partner gets partner_left, and the two cool down.
    void end_pairing(member& m) {
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

    /// A cross-node pair ends without its partner's word (a gap, a
    /// deadline, a dead node): our side hears partner_left, theirs is told
    /// if it can be.
    void break_pair(std::uint64_t id, bool tell_other) {
        auto it = pairs_.find(id);
        if (it == pairs_.end()) return;
        remote_pair& p = it->second;
        if (tell_other)
            publish(p.node, encode({wire_kind::pair_message, id_, id, p.out.last_seq() + 1,
                                    pair_kind::ended, {}, {}, {}}));
        if (member* m = p.local) {
            m->remote_pair = 0;
            set_state(*m, member::state::idle);
            m->peer->partner_left(id);
        }
        pairs_.erase(it);
    }

    void cool_down(const std::string& a, const std::string& b) {
        if (opts_.rematch_cooldown.count() == 0 || b.empty()) return;
        const auto until = wall_ms() + opts_.rematch_cooldown.count();
        cooldown_ends_[a] = until;
        cooldown_ends_[b] = until;
        commands_->command({"SET", cooldown_key(prefix_, generation_, a, b), "1", "PX",
                            std::to_string(opts_.rematch_cooldown.count())},
                           [](auto) {});
    }

    /// Numbers a message of the pair and publishes it; the link keeps the
    /// bytes for its retries.
    void send(remote_pair& p, pair_kind kind, std::string payload) {
        std::string bytes = encode({wire_kind::pair_message, id_, p.id, p.out.last_seq() + 1, kind,
                                    {}, {}, std::move(payload)});
        p.out.push(bytes, clock::now());
        publish(p.node, std::move(bytes));
    }

    void publish(const std::string& node, std::string bytes) {
        commands_->command({"PUBLISH", prefix_ + ":n:" + node, std::move(bytes)}, [](auto) {});
    }

    std::vector<std::string> names(const member& m, const std::vector<std::string>& hashes) const {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < m.hashes.size(); ++i)
            if (std::find(hashes.begin(), hashes.end(), m.hashes[i]) != hashes.end())
                out.push_back(m.interests[i]);
        return out;
    }

    // ---- what other nodes say ----

    void on_message(std::string_view channel, std::string_view payload) {
        auto w = decode(payload);
        if (!w) return;
        if (channel == heartbeats_) {
            if (w->kind != wire_kind::heartbeat) return;
            if (w->from == id_)
                last_own_heartbeat_ = clock::now();
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
        } else if (w->kind == wire_kind::pair_message) {
            on_pair_message(*w);
        }
    }

    void on_pair_message(wire_message& w) {
        auto it = pairs_.find(w.pair);
        if (it == pairs_.end()) {
            if (w.what != pair_kind::matched || w.seq != 1) {
                // A pair we have forgotten: acknowledge, so that its sender
                // stops; what it carried belongs to a pairing that is over.
                publish(w.from, encode({wire_kind::ack, id_, w.pair, w.seq, {}, {}, {}, {}}));
                return;
            }
            highest_pair_ = std::max(highest_pair_, w.pair);
            it = pairs_.try_emplace(w.pair).first;
            it->second.id = w.pair;
            it->second.node = w.from;
        }
        remote_pair& p = it->second;
        switch (p.in.accept(w.seq)) {
        case receiver::verdict::duplicate: owe_ack(p); return;
        case receiver::verdict::gap: break_pair(p.id, true); return;
        case receiver::verdict::deliver: break;
        }
        owe_ack(p);
        switch (w.what) {
        case pair_kind::matched: on_claimed(p, w.payload); break;
        case pair_kind::relay:
            if (p.local) p.local->peer->relay(p.id, std::move(w.payload), clock::now());
            break;
        case pair_kind::ended:
            if (member* m = p.local) {
                p.local = nullptr;
                p.stand_in.reset();
                m->remote_pair = 0;
                set_state(*m, member::state::idle);
                // The other node stored the cooldown; ours only times the
                // rematch of m, should it wait alone with its last partner.
                if (opts_.rematch_cooldown.count() > 0)
                    cooldown_ends_[m->id] = wall_ms() + opts_.rematch_cooldown.count();
                m->peer->partner_left(p.id);
            }
            break;
        }
    }

    /// Another node claimed one of our waiters.
    void on_claimed(remote_pair& p, std::string_view payload) {
        auto n = parse_note(payload);
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

    void owe_ack(remote_pair& p) {
        if (p.ack_owed) return;
        p.ack_owed = true;
        // One ack for every message of this pair read in the same batch.
        asio::post(io_, [this, id = p.id] {
            auto it = pairs_.find(id);
            if (it == pairs_.end() || !it->second.ack_owed) return;
            it->second.ack_owed = false;
            publish(it->second.node,
                    encode({wire_kind::ack, id_, id, it->second.in.delivered(), {}, {}, {}, {}}));
            forget_if_done(it);
        });
    }

    void forget_if_done(std::unordered_map<std::uint64_t, remote_pair>::iterator it) {
        const remote_pair& p = it->second;
        if (p.local == nullptr && p.out.idle() && !p.ack_owed) pairs_.erase(it);
    }

    // ---- time: retries, heartbeats, liveness ----

    void start_ticks() {
        tick_timer_.expires_after(milliseconds(50));
        tick_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            tick();
            start_ticks();
        });
    }

    void tick() {
        const auto now = clock::now();
        std::vector<std::uint64_t> expired;
        for (auto& [id, p] : pairs_) {
            if (p.out.idle()) continue;
            if (p.out.expired(now)) {
                expired.push_back(id);
                continue;
            }
            for (const auto& r : p.out.due(now)) publish(p.node, *r.text);
        }
        for (auto id : expired) break_pair(id, true);
    }

    void start_heartbeats() {
        heartbeat_timer_.expires_after(opts_.settings.heartbeat_interval);
        heartbeat_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            heartbeat();
            start_heartbeats();
        });
    }

    void heartbeat() {
        const auto now = clock::now();
        const auto timeout = opts_.settings.node_timeout;
        if (commands_->connected()) {
            commands_->command({"PUBLISH", heartbeats_,
                                encode({wire_kind::heartbeat, id_, 0, 0, {}, {}, generation_, {}})},
                               [](auto) {});
            commands_->command({"SET", prefix_ + ":node:" + id_, "1", "PX", std::to_string(lease_ms())},
                               [](auto) {});
            pool(touch_args(prefix_, id_, ttl_ms()));
        }
        // Our own heartbeat is the probe of our subscription: a connection
        // that looks fine and delivers nothing is made again.
        if (subscriber_->subscribed() && commands_->connected() &&
            now - last_own_heartbeat_ > 3 * opts_.settings.heartbeat_interval + milliseconds(500)) {
            spdlog::warn("cluster: the subscription delivers nothing; subscribing again");
            last_own_heartbeat_ = now;
            subscriber_->restart();
        }
        // Nodes not heard for node_timeout are dead: their pairs end, their
        // waiters leave the pool. This check runs once a heartbeat
        // interval, so it looks one interval ahead: a death is acted on
        // within node_timeout. While we cannot hear anyone ourselves,
        // nobody is declared dead (the cross-node pairs end on their retry
        // deadline instead).
        if (degraded.load(std::memory_order_relaxed)) return;
        std::vector<std::string> dead;
        for (const auto& [node, heard] : last_heard_)
            if (now - heard > timeout - opts_.settings.heartbeat_interval) dead.push_back(node);
        for (const auto& node : dead) {
            last_heard_.erase(node);
            std::vector<std::uint64_t> ended;
            for (const auto& [id, p] : pairs_)
                if (p.node == node) ended.push_back(id);
            for (auto id : ended) break_pair(id, false);
            pool(purge_args(prefix_, node));
        }
        update_degraded();
    }

    std::int64_t ttl_ms() const {
        return std::chrono::duration_cast<milliseconds>(opts_.settings.node_timeout).count();
    }
    /// Shorter than node_timeout, longer than a heartbeat interval.
    std::int64_t lease_ms() const {
        return std::chrono::duration_cast<milliseconds>(
                   (opts_.settings.heartbeat_interval + opts_.settings.node_timeout) / 2)
            .count();
    }

    // ---- Redis ----

    void pool(std::vector<std::string> args) { script_.run(*commands_, {}, std::move(args), [](auto) {}); }

    void on_redis_connected() {
        // The generation tells a restarted, empty Redis from the one we
        // knew: then every waiter of ours is queued again.
        commands_->command({"SET", prefix_ + ":generation", random_id(8), "NX"}, [](auto) {});
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

    void requeue_all() {
        for (auto& [id, m] : members_) {
            if (m->now == member::state::waiting && !m->in_fallback) send_join(*m);
        }
    }

    void on_redis_lost() {
        spdlog::warn("cluster: lost Redis; reconnecting");
        update_degraded();
    }

    void update_degraded() {
        const bool now = !(commands_->connected() && subscriber_->subscribed() && !generation_.empty());
        if (now == degraded.load(std::memory_order_relaxed)) return;
        degraded.store(now, std::memory_order_relaxed);
        on_degraded_changed(now);
    }

    // ---- bookkeeping ----

    member* find(const std::string& id) {
        auto it = members_.find(id);
        return it == members_.end() ? nullptr : it->second.get();
    }

    void set_state(member& m, member::state s) {
        auto gauge = [&](member::state x) -> std::atomic<std::uint64_t>* {
            if (x == member::state::paired) return &stats.paired_sessions;
            if (x == member::state::waiting)
                return m.mode == protocol::chat_mode::text ? &stats.waiting_text : &stats.waiting_video;
            return nullptr;
        };
        if (auto* g = gauge(m.now)) g->fetch_sub(1, std::memory_order_relaxed);
        m.now = s;
        if (auto* g = gauge(s)) g->fetch_add(1, std::memory_order_relaxed);
        if (s != member::state::paired) m.pair_id = 0;
    }

    node_options opts_;
    const std::string id_;
    const std::string prefix_;
    const std::string channel_;
    const std::string heartbeats_;
    redis::script script_;
    std::mt19937_64 random_;
    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
    std::optional<redis::connection> commands_;
    std::optional<redis::subscriber> subscriber_;
    asio::steady_timer heartbeat_timer_{io_};
    asio::steady_timer tick_timer_{io_};
    std::string generation_;
    std::uint64_t highest_pair_ = 0;
    std::optional<match::matcher> fallback_;
    asio::steady_timer fallback_wake_{io_};
    std::uint64_t fallback_base_ = 0;  ///< fallback pair ids are above it
    std::unordered_map<std::string, std::unique_ptr<member>> members_;
    std::unordered_map<std::uint64_t, remote_pair> pairs_;
    std::unordered_map<std::string, clock::time_point> last_heard_;
    std::unordered_map<std::string, std::int64_t> cooldown_ends_;
    clock::time_point last_own_heartbeat_ = clock::now();
    std::thread thread_;
};

void remote_partner::relay(std::uint64_t pair_id, std::string text,
                           std::chrono::steady_clock::time_point) {
    asio::post(node_.io(), [n = &node_, pair_id, text = std::move(text)]() mutable {
        n->relay_out(pair_id, std::move(text));
    });
    (void)pair_id_;
}

void fallback_peer::matched(match::pairing p) { node_.on_fallback_matched(member_, p); }
void fallback_peer::partner_left(std::uint64_t pair_id) {
    node_.on_fallback_partner_left(member_, pair_id);
}

node::node(node_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}
node::~node() = default;

match::matchmaker::handle* node::attach(std::shared_ptr<match::peer> p) {
    return impl_->attach(std::move(p));
}
void node::join(handle* m, std::uint64_t ticket, protocol::chat_mode mode,
                std::vector<std::string> interests) {
    impl_->join(static_cast<member*>(m), ticket, mode, std::move(interests));
}
void node::next(handle* m, std::uint64_t ticket) { impl_->next(static_cast<member*>(m), ticket); }
void node::leave(handle* m, std::uint64_t ticket) { impl_->leave(static_cast<member*>(m), ticket); }
void node::detach(handle* m) { impl_->detach(static_cast<member*>(m)); }
void node::suspend(handle* m) { impl_->suspend(static_cast<member*>(m)); }
void node::reactivate(handle* m, std::shared_ptr<match::peer> p) {
    impl_->reactivate(static_cast<member*>(m), std::move(p));
}
const match::matcher_stats& node::stats() const { return impl_->stats; }
bool node::degraded() const { return impl_->degraded.load(std::memory_order_relaxed); }
const std::string& node::id() const { return impl_->id(); }

}  // namespace onymous::cluster
