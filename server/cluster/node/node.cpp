#include "node_impl.hpp"

#include <onymous/text/codecs.hpp>

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace onymous::cluster {

std::string random_id(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
        throw std::runtime_error("no random bytes for a cluster id");
    return text::to_hex(raw);
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

node::impl::impl(node_options opts)
    : opts_(std::move(opts)),
      // A configured node_id gets a fresh suffix per start: a node that
      // restarts within node_timeout is a new node, and the pairs and
      // waiters of the one that died are ended and purged as they must be.
      id_(opts_.settings.node_id.empty() ? random_id(8)
                                         : opts_.settings.node_id + "-" + random_id(4)),
      prefix_(opts_.settings.key_prefix),
      channel_(prefix_ + ":n:" + id_),
      heartbeats_(prefix_ + ":hb"),
      script_(std::string(pool_script())),
      random_(std::random_device{}()) {
    auto where = redis::parse_url(opts_.settings.redis);
    if (!where) throw std::invalid_argument("cluster.redis is not a Redis URL");
    redis::options ro;
    ro.command_timeout = std::max<milliseconds>(
        milliseconds(500),
        std::chrono::duration_cast<milliseconds>(opts_.settings.node_timeout) / 2);
    commands_.emplace(io_, *where, ro);
    publisher_.emplace(io_, *where, ro);
    subscriber_.emplace(io_, *where, std::vector<std::string>{channel_, heartbeats_}, ro);
    commands_->on_connected = [this] { on_redis_connected(); };
    commands_->on_disconnected = [this] { on_redis_lost(); };
    publisher_->on_connected = [this] { update_degraded(); };
    publisher_->on_disconnected = [this] { update_degraded(); };
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
        publisher_->start();
        subscriber_->start();
        start_heartbeats();
        start_ticks();
        io_.run();
    });
}

node::impl::~impl() {
    asio::post(io_, [this] {
        heartbeat_timer_.cancel();
        tick_timer_.cancel();
        ack_timer_.cancel();
        abuse_timer_.cancel();
        fallback_wake_.cancel();
        for (auto& [id, m] : members_)
            if (m->rematch) m->rematch->cancel();
        subscriber_->stop();
        stopping_ = true;
        finish_commands(clock::now() + milliseconds(1000));
    });
    thread_.join();
    subscriber_.reset();
    publisher_.reset();
    commands_.reset();
}

void node::impl::finish_commands(clock::time_point deadline) {
    const bool unsent = (commands_->connected() && commands_->pending() > 0) ||
                        (publisher_->connected() && !publisher_->flushed());
    if (unsent && clock::now() < deadline) {
        stop_timer_.expires_after(milliseconds(10));
        stop_timer_.async_wait(
            [this, deadline](boost::system::error_code) { finish_commands(deadline); });
        return;
    }
    commands_->stop();
    publisher_->stop();
    guard_.reset();
    // Whatever a timer or a reconnection still had queued is dropped: the
    // thread ends now, not when the last of them has run out (a handler
    // that fired just before its cancel would otherwise re-arm forever).
    io_.stop();
}

match::matchmaker::handle* node::impl::attach(std::shared_ptr<match::peer> p) {
    auto owned = std::make_unique<member>(std::move(p));
    member* m = owned.get();
    asio::post(io_, [this, owned = std::move(owned)]() mutable {
        const auto id = owned->id;
        members_.emplace(id, std::move(owned));
    });
    return m;
}

void node::impl::join(member* m, std::uint64_t ticket, protocol::chat_mode mode,
                      std::vector<std::string> interests, bool shadowed) {
    asio::post(io_, [this, m, ticket, mode, interests = std::move(interests), shadowed]() mutable {
        count();
        if (m->now != member::state::idle) return;  // the session answered bad_state
        m->mode = mode;
        m->shadowed = shadowed;
        m->interests = std::move(interests);
        m->hashed_with.reset();
        m->ever_joined = true;
        wait(*m, ticket);
    });
}

void node::impl::next(member* m, std::uint64_t ticket, bool shadowed) {
    asio::post(io_, [this, m, ticket, shadowed] {
        count();
        if (!m->ever_joined) return;
        m->shadowed = shadowed;
        if (m->in_fallback && counters.degraded.load(std::memory_order_relaxed)) {
            // The fallback matcher ends the pairing and queues again.
            end_fallback_state(*m);
            m->ticket = ticket;
            m->joined_ms = wall_ms();
            set_state(*m, member::state::waiting);
            fallback_->next(m->fallback, ticket, m->shadowed);
            return;
        }
        leave_fallback(*m);
        end_pairing(*m);
        wait(*m, ticket);
    });
}

void node::impl::leave(member* m, std::uint64_t ticket) {
    asio::post(io_, [this, m, ticket] {
        count();
        m->ticket = ticket;  // a pool answer for the old ticket is stale now
        leave_fallback(*m);
        end_pairing(*m);
        stop_waiting(*m);
    });
}

void node::impl::detach(member* m) {
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

void node::impl::suspend(member* m) {
    asio::post(io_, [this, m] {
        count();
        m->suspended = true;
        if (m->fallback != nullptr) fallback_->suspend(m->fallback);
        if (m->now == member::state::waiting && !m->in_fallback)
            pool(member_args(prefix_, "suspend", m->id));
    });
}

void node::impl::reactivate(member* m, std::shared_ptr<match::peer> p) {
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

void node::impl::relay_out(std::uint64_t pair_id, std::string text) {
    auto it = pairs_.find(pair_id);
    if (it == pairs_.end() || it->second.local == nullptr) return;  // the pair is over
    send(it->second, pair_kind::relay, std::move(text));
}

member* node::impl::find(const std::string& id) {
    auto it = members_.find(id);
    return it == members_.end() ? nullptr : it->second.get();
}

void node::impl::set_state(member& m, member::state s) {
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
                std::vector<std::string> interests, bool shadowed) {
    impl_->join(static_cast<member*>(m), ticket, mode, std::move(interests), shadowed);
}
void node::next(handle* m, std::uint64_t ticket, bool shadowed) {
    impl_->next(static_cast<member*>(m), ticket, shadowed);
}
void node::leave(handle* m, std::uint64_t ticket) { impl_->leave(static_cast<member*>(m), ticket); }
void node::detach(handle* m) { impl_->detach(static_cast<member*>(m)); }
void node::suspend(handle* m) { impl_->suspend(static_cast<member*>(m)); }
void node::reactivate(handle* m, std::shared_ptr<match::peer> p) {
    impl_->reactivate(static_cast<member*>(m), std::move(p));
}
const match::matcher_stats& node::stats() const { return impl_->stats; }

void node::hold_sessions(session::directory* tokens) { impl_->hold_sessions(tokens); }
void node::share_abuse(abuse::controls* controls) { impl_->share_abuse(controls); }

std::string node::resume(std::string token, std::uint64_t last_seq,
                         std::optional<std::chrono::system_clock::time_point> expiry,
                         std::weak_ptr<session::signaling_session> requester) {
    const auto seconds =
        expiry
            ? std::chrono::duration_cast<std::chrono::seconds>(expiry->time_since_epoch()).count()
            : 0;
    return impl_->resume(std::move(token), last_seq,
                         static_cast<std::uint64_t>(std::max<std::int64_t>(seconds, 0)),
                         std::move(requester));
}

void node::client_text(const std::string& bridge, std::string text) {
    impl_->client_text(bridge, std::move(text));
}

void node::client_closed(const std::string& bridge, bool clean) {
    impl_->client_closed(bridge, clean);
}
bool node::degraded() const { return impl_->counters.degraded.load(std::memory_order_relaxed); }
const node_stats& node::counters() const { return impl_->counters; }
const std::string& node::id() const { return impl_->id(); }

}  // namespace onymous::cluster
