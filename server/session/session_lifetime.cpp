// A session's life apart from its connections: a drop starts the resume
// grace, a resume (on any worker) takes the session back or takes it over,
// draining and shutdown end it (PROTOCOL.md, Resume and Draining;
// docs/architecture.md, Session lifetime).

#include "session/session_guard.hpp"

#include <onymous/session/credentials.hpp>

namespace onymous::session {

void signaling_session::transport_closed(const std::shared_ptr<transport>& from, bool clean,
                                         std::shared_ptr<place> place) {
    on_home([this, from, clean, place = std::move(place)]() mutable {
        on_transport_closed(from, clean, std::move(place));
    });
}

void signaling_session::on_transport_closed(const std::shared_ptr<transport>& from, bool clean,
                                            std::shared_ptr<place> place) {
    if (transport_.lock() != from) return;  // a connection this session let go of
    if (life_ == life::bridged) {
        transport_.reset();
        if (bridge_open_) {
            bridge_open_ = false;
            ctx_.others->client_closed(bridge_, clean);
        }
        end(std::nullopt);
        return;
    }
    if (life_ == life::handing_over) {
        handover_closed_clean_ = clean;  // for whichever session wins
        handover_place_ = std::move(place);
        return;
    }
    if (life_ != life::attached) return;
    transport_.reset();
    if (clean)
        end(std::nullopt);
    else
        begin_grace(std::move(place));
}

void signaling_session::begin_grace(std::shared_ptr<place> place) {
    life_ = life::in_grace;
    // The dropped connection's place stays taken: one address cannot hold
    // more sessions than its limit by dropping connections.
    held_place_ = std::move(place);
    ctx_.counters.in_grace.fetch_add(1, std::memory_order_relaxed);
    // Keeps its place and join time, or its pairing, but cannot be chosen.
    if (member_) ctx_.matcher.suspend(member_);
    if (!grace_timer_) grace_timer_ = home_.make_timer();
    // The pending timer owns the session while nothing else may (an idle
    // session is in no matcher); end() cancels it.
    grace_timer_->start(settings().limits.resume_grace, [self = shared_from_this()] {
        self->guarded([&] { self->on_grace_expired(); });
    });
}

void signaling_session::on_grace_expired() {
    if (life_ != life::in_grace) return;
    ctx_.counters.grace_expired_total.fetch_add(1, std::memory_order_relaxed);
    end(std::nullopt);  // the matcher tells the partner partner_left
}

void signaling_session::take_over_remotely(
    std::shared_ptr<transport> t, std::uint64_t last_seq,
    std::optional<std::chrono::system_clock::time_point> expiry, std::function<void(bool)> answer) {
    on_home([this, t = std::move(t), last_seq, expiry, answer = std::move(answer)]() mutable {
        take_over(std::move(t), last_seq, expiry,
                  [answer = std::move(answer)](std::shared_ptr<signaling_session> taken) {
                      answer(taken != nullptr);
                  });
    });
}

void signaling_session::take_over(std::shared_ptr<transport> t, std::uint64_t last_seq,
                                  std::optional<std::chrono::system_clock::time_point> expiry,
                                  take_over_answer answer) {
    const bool alive = life_ == life::attached || life_ == life::in_grace;
    if (!alive || !t || !history_.holds_after(last_seq, seq_) || account_->evicted()) {
        answer(nullptr);
        return;
    }
    if (life_ == life::attached) {
        // The old connection has not been seen to drop (a mobile hand-over):
        // it goes, and the partner is told nothing.
        if (auto old = transport_.lock()) old->close(protocol::close_code::taken_over);
    } else {
        grace_timer_->cancel();
        ctx_.counters.in_grace.fetch_sub(1, std::memory_order_relaxed);
        // The new connection holds a place of its own: one session never
        // counts twice.
        held_place_.reset();
    }
    life_ = life::attached;
    transport_ = t;
    // The client now holds the credentials of the new connection's hello.
    credentials_expiry_ = expiry;
    // Back from the grace: eligible again, with its join time kept.
    if (member_) ctx_.matcher.reactivate(member_, shared_from_this());
    token_ = new_resume_token();
    ctx_.tokens.insert(token_, weak_from_this());
    ctx_.counters.resumed_total.fetch_add(1, std::memory_order_relaxed);

    std::optional<protocol::role> role;
    if (state_ == state::paired) role = role_;
    send_unsequenced(protocol::finish(protocol::make_resumed(state_, role, token_)));
    // last_seq counts as an ack (PROTOCOL.md, Acknowledgements).
    history_.acknowledge(last_seq);
    history_.each_after(last_seq, [&](const frame& text) { t->send(text); });
    history_.handed(seq_);
    answer(shared_from_this());
}

void signaling_session::on_take_over_answer(bool ok, std::shared_ptr<signaling_session> older) {
    if (life_ != life::handing_over) return;  // ended meanwhile (shutdown)
    auto texts = std::move(handover_texts_);
    handover_texts_.clear();
    account_->remove(handover_bytes_);
    handover_bytes_ = 0;
    const auto closed_clean = handover_closed_clean_;
    auto place = std::move(handover_place_);
    auto t = transport_.lock();
    if (!ok) {
        // A fresh idle session after all, its own hello's token still good.
        life_ = life::attached;
        resume_refused();
        for (const auto& text : texts) {
            if (life_ != life::attached) return;
            handle_text(text);
        }
        if (closed_clean) {
            on_transport_closed(t, *closed_clean, std::move(place));
        } else if (life_ == life::attached && ctx_.draining.load(std::memory_order_acquire)) {
            drain();
        }
        return;
    }
    // The connection is the older session's now: what the client sent after
    // its resume, and the connection's end, go there in order. This session
    // was never more than a hello; it ends without a word.
    for (const auto& text : texts) older->receive(t, text);
    if (closed_clean)
        older->transport_closed(t, *closed_clean, std::move(place));
    else if (t)
        t->attach(older);
    transport_.reset();
    end(std::nullopt);
}

void signaling_session::bridge_answered(bool ok) {
    on_home([this, ok] { on_bridge_answered(ok); });
}

void signaling_session::on_bridge_answered(bool ok) {
    if (life_ != life::handing_over) return;  // ended meanwhile (shutdown)
    if (!ok) {
        on_take_over_answer(false, nullptr);  // a fresh idle session after all
        return;
    }
    // The client's session is the other node's: this one is only its
    // connection now, and its own hello's token is void.
    life_ = life::bridged;
    bridge_open_ = true;
    ctx_.tokens.erase(token_);
    auto texts = std::move(handover_texts_);
    handover_texts_.clear();
    account_->remove(handover_bytes_);
    handover_bytes_ = 0;
    for (const auto& text : texts) {
        if (life_ != life::bridged) return;
        forward_to_bridge(text);
    }
    if (handover_closed_clean_ && life_ == life::bridged)
        on_transport_closed(transport_.lock(), *handover_closed_clean_, std::move(handover_place_));
}

void signaling_session::forward_to_bridge(std::string_view text) {
    // The holder checks everything else; a flood stops here, before it crosses.
    if (refuse_over_limit(limits_.admit_message(settings().now()), {})) return;
    ctx_.others->client_text(bridge_, std::string(text));
}

void signaling_session::bridge_frame(std::string text) {
    on_home([this, text = std::move(text)]() mutable {
        if (life_ != life::bridged) return;
        if (auto t = transport_.lock()) t->send(make_frame(std::move(text)));
    });
}

void signaling_session::bridge_close(protocol::close_code code) {
    on_home([this, code] {
        if (life_ != life::bridged) return;
        bridge_open_ = false;
        end(code);
    });
}

void signaling_session::resume_refused() {
    ctx_.counters.resume_failed_total.fetch_add(1, std::memory_order_relaxed);
    // One text whatever the reason: it tells nobody which tokens exist.
    refuse(protocol::error_code::resume_failed, "the session cannot be resumed", "resume");
}

void signaling_session::drain() {
    on_home([this] {
        // A fresh session handing over waits for its answer (which drains it
        // if the resume failed).
        if (life_ == life::ended || life_ == life::handing_over || draining_seen_) return;
        // The session is another node's, which is not draining: this
        // connection goes, and the client resumes on a node that stays.
        if (life_ == life::bridged) {
            end(protocol::close_code::going_away);
            return;
        }
        draining_seen_ = true;
        send_sequenced(protocol::make_draining());
        // A pairing in progress goes on; everything else closes now.
        if (state_ != state::paired) end(protocol::close_code::going_away);
    });
}

void signaling_session::abort(protocol::close_code code) {
    on_home([this, code] { end(code); });
}

void signaling_session::end(std::optional<protocol::close_code> code, bool at_once) {
    if (life_ == life::ended || life_ == life::created) return;
    if (life_ == life::in_grace) ctx_.counters.in_grace.fetch_sub(1, std::memory_order_relaxed);
    if (life_ == life::bridged && bridge_open_) {
        bridge_open_ = false;
        // Closed by this node: its shutdown (going away, or no code at exit)
        // leaves the session to be resumed elsewhere; the error budget, an
        // eviction or an internal error end it, as they would here.
        ctx_.others->client_closed(bridge_, code && *code != protocol::close_code::going_away);
    }
    life_ = life::ended;
    if (grace_timer_) grace_timer_->cancel();
    ctx_.tokens.erase(token_);
    home_.sessions().erase(this);
    ctx_.counters.live.fetch_sub(1, std::memory_order_relaxed);
    state_ = state::idle;
    partner_.reset();
    // What the session held goes now, not when its last reference does: a
    // posted handler may keep the object a while.
    drop_early_relays();
    handover_texts_.clear();
    account_->remove(handover_bytes_);
    handover_bytes_ = 0;
    history_.clear();
    held_place_.reset();
    handover_place_.reset();
    auto t = transport_.lock();
    transport_.reset();
    if (member_) {
        // Leaves the queue or the pairing: the partner gets partner_left.
        ctx_.matcher.detach(member_);
        member_ = nullptr;
    }
    if (code && t) {
        if (at_once)
            t->close_now(*code);
        else
            t->close(*code);
    }
}

}  // namespace onymous::session
