// The pool's operations and queue bookkeeping. See pool_match.cpp for the
// choice of a partner and the deadlines.

#include "pool.hpp"

#include <random>
#include <utility>

namespace onymous::match {

namespace {

std::uint64_t seed_from(std::uint64_t seed) {
    if (seed != 0) return seed;
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

pool::pool(const options& opts, matcher_stats& stats)
    : clock_(opts.now ? opts.now : [] { return clock::now(); }),
      interest_timeout_(opts.interest_timeout),
      rematch_cooldown_(opts.rematch_cooldown),
      cooldown_memory_(opts.cooldown_memory),
      wake_at_(opts.wake_at),
      stats_(stats),
      rng_(seed_from(opts.seed)) {}

pool::~pool() {
    while (registry_) {
        member* m = registry_;
        registry_ = m->registry_next;
        delete m;
    }
}

void pool::attach(member* m) {
    m->id = next_member_id_++;
    m->registry_next = registry_;
    if (registry_) registry_->registry_prev = m;
    registry_ = m;
}

void pool::join(member* m, std::uint64_t ticket, protocol::chat_mode mode,
                const std::vector<std::string>& interests, bool shadowed) {
    // The session answers bad_state itself; a join it let through anyway
    // must not disturb a wait or a pairing.
    if (m->state != member_state::idle) return;
    m->ticket = ticket;
    m->joined_once = true;
    m->mode = mode;
    m->shadowed = shadowed;
    m->interests.assign(interests.begin(), interests.end());  // reuses m's buffers
    m->positions.assign(m->interests.size() + 1, no_position);
    m->interest_sets.assign(m->interests.size(), nullptr);
    enqueue(m);
}

void pool::next(member* m, std::uint64_t ticket, bool shadowed) {
    if (!m->joined_once) return;
    m->ticket = ticket;
    if (m->state == member_state::waiting) stop_waiting(m);
    if (m->state == member_state::paired) end_pairing(m);
    // Unlisted now: it may change partition.
    m->shadowed = shadowed;
    enqueue(m);
}

void pool::leave(member* m, std::uint64_t ticket) {
    m->ticket = ticket;
    if (m->state == member_state::waiting) stop_waiting(m);
    if (m->state == member_state::paired) end_pairing(m);
}

void pool::detach(member* m) {
    if (m->state == member_state::waiting) stop_waiting(m);
    if (m->state == member_state::paired) end_pairing(m);
    if (m->registry_prev)
        m->registry_prev->registry_next = m->registry_next;
    else
        registry_ = m->registry_next;
    if (m->registry_next) m->registry_next->registry_prev = m->registry_prev;
    delete m;  // its cooldown memory and interests go with it
}

void pool::suspend(member* m) {
    if (m->suspended) return;
    m->suspended = true;
    if (m->in_sets) unlist(m);
    deadlines_.remove(m);
}

void pool::reactivate(member* m, std::shared_ptr<peer> p) {
    m->peer = std::move(p);
    if (!m->suspended) return;
    m->suspended = false;
    if (m->state != member_state::waiting) return;
    // The join time was kept: the window may have ended during the grace.
    m->in_window = m->in_window && now() < m->window_end;
    admit(m);
}

void pool::enqueue(member* m) {
    m->state = member_state::waiting;
    ++waiting_[static_cast<int>(m->mode)];
    m->in_window = !m->interests.empty() && interest_timeout_.count() > 0;
    if (m->in_window) m->window_end = now() + interest_timeout_;
    if (!m->suspended) admit(m);
}

void pool::admit(member* m) {
    // Trying before listing saves the insert and erase when a partner is
    // there already, which is the common case on a busy server.
    if (try_match(m)) return;
    list(m);
    if (m->in_window) deadlines_.schedule(m, m->window_end);
}

void pool::stop_waiting(member* m) {
    if (m->in_sets) unlist(m);
    deadlines_.remove(m);
    m->state = member_state::idle;
    --waiting_[static_cast<int>(m->mode)];
}

void pool::end_pairing(member* m) {
    member* other = m->partner;
    if (rematch_cooldown_.count() > 0) {
        const clock::time_point until = now() + rematch_cooldown_;
        m->recent.remember(other->id, until, cooldown_memory_);
        other->recent.remember(m->id, until, cooldown_memory_);
    }
    m->state = member_state::idle;
    other->state = member_state::idle;
    m->partner = nullptr;
    other->partner = nullptr;
    paired_ -= 2;
    other->peer->partner_left(m->pair_id);
}

void pool::list(member* m) {
    // try_match has just looked the sets up: m->interest_sets holds those
    // that exist (possibly empty ones kept for reuse).
    mode_index& idx = index(*m);
    for (std::uint32_t k = 0; k < m->interests.size(); ++k) {
        waiter_set* set = m->interest_sets[k];
        if (!set)
            set = &idx.by_interest[m->interests[k]];
        else if (set->empty())
            --idx.empty_sets;
        set->insert(m, k);
        m->interest_sets[k] = set;
    }
    if (!m->in_window) open_window(m);
    m->in_sets = true;
}

void pool::open_window(member* m) {
    index(*m).open.insert(m, m->open_slot());
    m->in_open = true;
}

void pool::unlist(member* m) {
    mode_index& idx = index(*m);
    for (std::uint32_t k = 0; k < m->interests.size(); ++k) {
        waiter_set* set = m->interest_sets[k];
        set->erase(m, k);
        if (set->empty()) ++idx.empty_sets;
    }
    // Empty sets are kept for the next waiter naming the same interest, but
    // not without bound: the map stays proportional to the interests of the
    // current waiters, whatever strings clients have sent before.
    if (idx.empty_sets > 64 && idx.empty_sets * 2 > idx.by_interest.size()) {
        std::erase_if(idx.by_interest, [](const auto& entry) { return entry.second.empty(); });
        idx.empty_sets = 0;
    }
    if (m->in_open) {
        idx.open.erase(m, m->open_slot());
        m->in_open = false;
    }
    m->in_sets = false;
}

void pool::end_batch() {
    announce();
    publish_stats();
    now_.reset();
}

void pool::announce() {
    if (!wake_at_ || deadlines_.empty()) return;
    const clock::time_point earliest = deadlines_.earliest();
    // Told already, and not passed yet: the daemon's timer will fire in time.
    if (announced_ && *announced_ <= earliest && *announced_ > now()) return;
    announced_ = earliest;
    wake_at_(earliest);
}

void pool::publish_stats() {
    constexpr auto relaxed = std::memory_order_relaxed;
    stats_.waiting_text.store(waiting_[static_cast<int>(protocol::chat_mode::text)], relaxed);
    stats_.waiting_video.store(waiting_[static_cast<int>(protocol::chat_mode::video)], relaxed);
    stats_.paired_sessions.store(paired_, relaxed);
    stats_.pairings_total.store(pairings_, relaxed);
    stats_.operations_total.store(operations_, relaxed);
}

}  // namespace onymous::match
