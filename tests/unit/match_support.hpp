#pragma once
// Test doubles for the matcher's unit tests: a manual clock, a peer that
// records every callback, and a client that drives one member the way a
// session would (its own increasing tickets). Used from one thread, so every
// callback has happened by the time a call returns.

#include <onymous/match/matcher.hpp>
#include <onymous/match/peer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace onymous::match::test {

using namespace std::chrono_literals;
using protocol::chat_mode;
using protocol::role;

class recording_peer : public peer {
public:
    struct event {
        bool matched = false;
        pairing pair;  ///< partner_left: pair_id only; pair.partner is not kept
        const peer* partner = nullptr;
    };

    void matched(pairing p) override {
        // Keeping the partner's shared_ptr would make a cycle between two
        // recording peers (each holding the other): keep its address only.
        const peer* partner = p.partner.get();
        p.partner.reset();
        events.push_back({true, std::move(p), partner});
    }
    void partner_left(std::uint64_t pair_id) override {
        event e;
        e.pair.pair_id = pair_id;
        events.push_back(std::move(e));
    }
    void relay(std::uint64_t, std::string, std::chrono::steady_clock::time_point) override {
    }  // the matcher never relays

    std::vector<event> events;
};

/// A matcher with a manual clock, a fixed seed and recorded wake_at calls.
class world {
public:
    explicit world(std::chrono::milliseconds interest_timeout = 5s,
                   std::chrono::milliseconds rematch_cooldown = 30s,
                   std::size_t cooldown_memory = 128, std::uint64_t seed = 42)
        : matcher_(make_options(interest_timeout, rematch_cooldown, cooldown_memory, seed)) {}

    matcher& get() { return matcher_; }
    clock::time_point now() const { return now_; }
    /// Moves the clock; nothing happens until the next call (e.g. poll()).
    void advance(std::chrono::milliseconds by) { now_ += by; }
    void poll() { matcher_.poll(); }
    /// Every time passed to options.wake_at, in order.
    const std::vector<clock::time_point>& wakes() const { return wakes_; }
    /// Start of the manual clock, for readable expectations.
    static clock::time_point epoch() { return clock::time_point{} + 1000s; }

private:
    options make_options(std::chrono::milliseconds interest_timeout,
                         std::chrono::milliseconds rematch_cooldown, std::size_t cooldown_memory,
                         std::uint64_t seed) {
        options o;
        o.interest_timeout = interest_timeout;
        o.rematch_cooldown = rematch_cooldown;
        o.cooldown_memory = cooldown_memory;
        o.seed = seed;
        o.now = [this] { return now_; };
        o.wake_at = [this](clock::time_point at) { wakes_.push_back(at); };
        return o;
    }

    clock::time_point now_ = epoch();
    std::vector<clock::time_point> wakes_;
    matcher matcher_;  // last: its options capture the members above
};

/// One session's member, driven with its own increasing tickets.
class client {
public:
    explicit client(world& w)
        : matcher_(w.get()),
          peer_(std::make_shared<recording_peer>()),
          member_(matcher_.attach(peer_)) {}
    ~client() {
        if (member_) matcher_.detach(member_);
    }
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    void join(chat_mode mode = chat_mode::video, std::vector<std::string> interests = {}) {
        matcher_.join(member_, ++ticket_, mode, std::move(interests));
    }
    void next() { matcher_.next(member_, ++ticket_); }
    /// join and next in or out of the shadow pool.
    void join_shadowed(bool shadowed, chat_mode mode = chat_mode::video,
                       std::vector<std::string> interests = {}) {
        matcher_.join(member_, ++ticket_, mode, std::move(interests), shadowed);
    }
    void next_shadowed(bool shadowed) { matcher_.next(member_, ++ticket_, shadowed); }
    void leave() { matcher_.leave(member_, ++ticket_); }
    void detach() {
        matcher_.detach(member_);
        member_ = nullptr;
    }
    void suspend() { matcher_.suspend(member_); }
    /// Back from the grace with a new peer (the old one's record stays readable).
    void reactivate() {
        old_peers_.push_back(peer_);
        peer_ = std::make_shared<recording_peer>();
        matcher_.reactivate(member_, peer_);
    }

    const std::vector<recording_peer::event>& events() const { return peer_->events; }
    const recording_peer::event& last() const { return peer_->events.back(); }
    /// The partner's peer in the last event, which must be a match.
    const peer* partner() const { return last().partner; }
    const peer* as_peer() const { return peer_.get(); }
    std::uint64_t ticket() const { return ticket_; }

private:
    matcher& matcher_;
    std::shared_ptr<recording_peer> peer_;
    std::vector<std::shared_ptr<recording_peer>> old_peers_;
    matchmaker::handle* member_;
    std::uint64_t ticket_ = 0;
};

/// True when `a` and `b` were just matched with each other.
inline bool just_paired(const client& a, const client& b) {
    return !a.events().empty() && !b.events().empty() && a.last().matched && b.last().matched &&
           a.partner() == b.as_peer() && b.partner() == a.as_peer() &&
           a.last().pair.pair_id == b.last().pair.pair_id;
}

}  // namespace onymous::match::test
