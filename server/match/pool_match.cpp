// The choice of a partner, and the deadlines that make waiters eligible
// for each other without a new arrival.

#include "pool.hpp"

#include <onymous/abuse/shadow_pool.hpp>

#include <algorithm>
#include <cassert>

namespace onymous::match {

namespace {

/// The interests of `receiver` that `other` named too, in receiver's order.
std::vector<std::string> common_interests(const matcher::member& receiver,
                                          const matcher::member& other) {
    std::vector<std::string> common;
    for (const std::string& interest : receiver.interests)
        if (std::find(other.interests.begin(), other.interests.end(), interest) !=
            other.interests.end())
            common.push_back(interest);
    return common;
}

}  // namespace

bool pool::try_match(member* m) {
    // Candidates: waiters sharing an interest, plus (once m's own window is
    // over) the open waiters. Both kinds pass the interest rule by
    // construction; what is left to check is the cooldown. The invariant
    // that no two waiters are eligible for each other keeps these sets
    // small, but nothing below relies on it.
    mode_index& idx = index(*m);
    const std::uint64_t epoch = ++epoch_;
    m->seen_epoch = epoch;  // never itself
    candidates_.clear();
    std::optional<clock::time_point> retry;
    const bool cooldown = rematch_cooldown_.count() > 0;

    const auto consider = [&](const waiter_set& set) {
        for (const waiter_set::entry& e : set.entries()) {
            member* other = e.who;
            if (other->seen_epoch == epoch) continue;  // listed under two interests
            other->seen_epoch = epoch;
            if (cooldown) {
                if (const auto until = excluded_until(*m, *other)) {
                    if (!retry || *until < *retry) retry = until;
                    continue;
                }
            }
            candidates_.push_back(other);
        }
    };
    for (std::uint32_t k = 0; k < m->interests.size(); ++k) {
        const auto found = idx.by_interest.find(m->interests[k]);
        // Remembered for list(), which follows when nobody is chosen.
        m->interest_sets[k] = found == idx.by_interest.end() ? nullptr : &found->second;
        if (m->interest_sets[k]) consider(*m->interest_sets[k]);
    }
    if (!m->in_window) consider(idx.open);

    if (candidates_.empty()) {
        // Blocked only by a cooldown: look again when the first one ends.
        if (retry) deadlines_.schedule(m, *retry);
        return false;
    }
    const auto chosen = rng_.below(static_cast<std::uint32_t>(candidates_.size()));
    pair(m, candidates_[chosen]);
    return true;
}

void pool::pair(member* a, member* b) {
    // Partitions keep the shadow pool apart (pool.hpp, index()).
    assert(abuse::may_meet(a->shadowed, b->shadowed));
    for (member* m : {a, b}) {
        if (m->in_sets) unlist(m);
        deadlines_.remove(m);
        m->state = member_state::paired;
        --waiting_[static_cast<int>(m->mode)];
    }
    paired_ += 2;
    ++pairings_;
    const std::uint64_t pair_id = next_pair_id_++;
    a->partner = b;
    b->partner = a;
    a->pair_id = pair_id;
    b->pair_id = pair_id;

    // Told at once, in decision order: a peer only hands the event over,
    // and both members are consistent (paired) by now.
    const bool a_offers = rng_.coin();
    const auto tell = [&](member* to, member* other, bool offers) {
        pairing p;
        p.ticket = to->ticket;
        p.pair_id = pair_id;
        p.role = offers ? protocol::role::offerer : protocol::role::answerer;
        if (!to->interests.empty() && !other->interests.empty())
            p.common_interests = common_interests(*to, *other);
        p.partner = other->peer;
        to->peer->matched(std::move(p));
    };
    tell(a, b, a_offers);
    tell(b, a, !a_offers);
}

std::optional<clock::time_point> pool::excluded_until(const member& a, const member& b) {
    // Both sides remember a pairing's end with the same time, so a's memory
    // answers alone, unless a has forgotten partners (its memory was full)
    // whose cooldown may still run: then b may still remember a.
    const clock::time_point at = now();
    if (const auto until = a.recent.excluded_until(b.id, at)) return until;
    if (!a.recent.may_have_forgotten(at)) return std::nullopt;
    return b.recent.excluded_until(a.id, at);
}

void pool::evaluate(member* m) {
    // Only listed waiters have deadlines (pairing, leaving and suspending
    // remove them), so m is waiting and eligible.
    if (m->in_window && m->window_end <= now()) {
        m->in_window = false;
        open_window(m);
    }
    if (try_match(m)) return;
    if (m->in_window) deadlines_.schedule(m, m->window_end);
}

void pool::run_deadlines() {
    while (!deadlines_.empty() && deadlines_.earliest() <= now()) evaluate(deadlines_.pop());
}

}  // namespace onymous::match
