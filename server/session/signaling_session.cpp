// The state table of protocol v1: what each client message does in each
// state (PROTOCOL.md, States), in the contract's order of checks.

#include "session/session_guard.hpp"

#include <onymous/protocol/relay_text.hpp>
#include <onymous/session/credentials.hpp>

#include <spdlog/spdlog.h>

#include <utility>

namespace onymous::session {

signaling_session::signaling_session(session_context& ctx, home& h,
                                     std::shared_ptr<const session_snapshot> config)
    : ctx_(ctx),
      snapshot_(config ? std::move(config) : ctx.initial()),
      home_(h),
      account_(std::make_shared<memory::account>(ctx.budget)),
      history_(settings().limits.max_unacked_bytes, &h.history_gauge(), history::message_overhead),
      errors_(settings().limits.max_errors, settings().error_window),
      limits_(settings().limits, settings().now()) {}

signaling_session::~signaling_session() {
    // Only reached un-ended when a stopped event loop destroys what it
    // held at exit; the token must not outlive the session all the same.
    if (life_ != life::ended && life_ != life::created) {
        ctx_.tokens.erase(token_);
        ctx_.counters.live.fetch_sub(1, std::memory_order_relaxed);
        if (life_ == life::in_grace) ctx_.counters.in_grace.fetch_sub(1, std::memory_order_relaxed);
    }
}

void signaling_session::fail_internal(const char* what) {
    // The exception's text comes from our own code or the library, never
    // from the client's data.
    spdlog::error("session closed after an internal error: {}", what);
    ctx_.counters.internal_errors_total.fetch_add(1, std::memory_order_relaxed);
    try {
        end(protocol::close_code::internal_error);
    } catch (...) {
        // Ending only releases; if even that fails, the connection's own
        // close deadline still frees it.
    }
}

void signaling_session::start(std::shared_ptr<transport> t) {
    start(std::move(t), ice_servers_for_connection(settings().ice, settings().wall_now()));
}

void signaling_session::start(std::shared_ptr<transport> t,
                              std::vector<protocol::ice_server> ice_servers) {
    // Before the first byte is charged; a weak pointer, for the account may
    // outlive the session in the frames it made.
    account_->on_evict([weak = weak_from_this(), home = &home_] {
        home->post([weak] {
            if (auto self = weak.lock()) self->evict();
        });
    });
    on_home([this, t = std::move(t), ice = std::move(ice_servers)] {
        // Attached first, so that a failure below can still close it (1011).
        transport_ = t;
        life_ = life::attached;
        home_.sessions().emplace(this, weak_from_this());
        ctx_.counters.live.fetch_add(1, std::memory_order_relaxed);
        token_ = new_resume_token();
        ctx_.tokens.insert(token_, weak_from_this());
        credentials_expiry_ = credentials_expiry(ice);
        challenge_ = ctx_.abuse.issue(address_.load(std::memory_order_relaxed), settings().now());
        send_unsequenced(protocol::finish(
            protocol::make_hello(token_, ice, settings().relay_only, settings().limits,
                                 settings().max_interests, challenge_)));
        if (ctx_.draining.load(std::memory_order_acquire)) drain();
    });
}

void signaling_session::receive(const std::shared_ptr<transport>& from, std::string_view text) {
    if (home_.running_in_this_thread()) {
        guarded([&] { on_receive(from, text); });
        return;
    }
    home_.post([self = shared_from_this(), from, owned = std::string(text)] {
        self->guarded([&] { self->on_receive(from, owned); });
    });
}

void signaling_session::on_receive(const std::shared_ptr<transport>& from, std::string_view text) {
    if (life_ == life::handing_over) {
        // Bounded by the client's read rate over one cross-thread hop (or,
        // asking other nodes, by the message bucket once they answer).
        handover_texts_.emplace_back(text);
        handover_bytes_ += text.size();
        account_->add(text.size());
        return;
    }
    if (life_ == life::bridged) {
        if (from && transport_.lock() == from) forward_to_bridge(text);
        return;
    }
    if (life_ != life::attached || !from || transport_.lock() != from) return;
    handle_text(text);
}

// --- Client messages -------------------------------------------------------

void signaling_session::handle_text(std::string_view text) {
    const bool first = !received_any_;
    received_any_ = true;
    read_at_ = settings().now();
    // The connection may have written messages since the last push: a
    // client that never acks is held to max_unacked_bytes whenever it speaks.
    history_.trim();
    // Before parsing: a flood costs the server no more than counting it.
    if (refuse_over_limit(limits_.admit_message(read_at_), {})) return;
    auto parsed = protocol::parse(text, snapshot_->parse);
    if (auto* error = std::get_if<protocol::parse_error>(&parsed)) {
        refuse(error->code, error->message, error->ref);
        return;
    }
    auto& message = std::get<protocol::client_message>(parsed);
    if (!first && std::holds_alternative<protocol::resume_message>(message)) {
        refuse(protocol::error_code::bad_state, "resume is only allowed as the first message",
               "resume");
        return;
    }
    std::visit([this](auto& m) { handle(m); }, message);
}

bool signaling_session::refuse_when_draining(std::string_view ref) {
    if (!ctx_.draining.load(std::memory_order_acquire)) return false;
    refuse(protocol::error_code::draining, "the server is shutting down", ref);
    return true;
}

bool signaling_session::refuse_over_limit(std::string_view reason, std::string_view ref) {
    if (reason.empty()) return false;
    refuse(protocol::error_code::rate_limited, reason, ref);
    return true;
}

void signaling_session::handle(const protocol::join_message& m) {
    if (refuse_when_draining("join")) return;
    if (refuse_over_limit(limits_.admit_join(settings().now()), "join")) return;
    bool proved = false;
    if (refuse_abuse(false, m.proof, "join", proved)) return;
    if (state_ != state::idle) {
        refuse(protocol::error_code::bad_state, "join is only allowed when idle", "join");
        return;
    }
    accept_proof(proved);
    mode_ = m.mode;
    state_ = state::waiting;
    waiting_since_ = read_at_;
    send_sequenced_text(waiting_text());
    ctx_.matcher.join(member(), ++ticket_, m.mode, m.interests, shadowed());
}

void signaling_session::handle(const protocol::next_message& m) {
    if (refuse_when_draining("next")) return;
    if (refuse_over_limit(limits_.admit_join(settings().now()), "next")) return;
    bool proved = false;
    if (refuse_abuse(true, m.proof, "next", proved)) return;
    if (!mode_) {
        refuse(protocol::error_code::bad_state, "next needs a previous join", "next");
        return;
    }
    accept_proof(proved);
    if (state_ == state::paired) end_pairing_locally();
    state_ = state::waiting;
    waiting_since_ = read_at_;
    send_sequenced_text(waiting_text());
    ctx_.matcher.next(member(), ++ticket_, shadowed());
}

void signaling_session::handle(const protocol::leave_message&) {
    if (state_ != state::idle) {
        if (state_ == state::paired) end_pairing_locally();
        state_ = state::idle;
        ctx_.matcher.leave(member(), ++ticket_);
    }
    send_sequenced(protocol::make_left());
    close_if_drained();
}

void signaling_session::handle(protocol::sdp_message& m) {
    const auto ref = protocol::to_string(m.kind);
    if (refuse_unpaired_relay(ref)) return;
    if (auto reason = protocol::check_sdp_mode(m.sdp, *mode_); !reason.empty()) {
        refuse(protocol::error_code::invalid_sdp, reason, ref);
        return;
    }
    if (refuse_over_limit(limits_.admit_relay(m), ref)) return;
    // Validated, admitted, then scrubbed: what the partner gets is rebuilt
    // from the filtered fields.
    if (settings().relay_only) snapshot_->relay_filter.apply(m);
    forward_to_partner(protocol::relay_text(m), m.kind == protocol::sdp_kind::offer
                                                    ? ctx_.counters.relayed_offers_total
                                                    : ctx_.counters.relayed_answers_total);
}

void signaling_session::handle(protocol::candidate_message& m) {
    if (refuse_unpaired_relay("candidate")) return;
    // A candidate relay-only mode removes is dropped silently, before the
    // cap: it is no error and does not count (PROTOCOL.md).
    if (settings().relay_only && !snapshot_->relay_filter.apply(m)) return;
    if (refuse_over_limit(limits_.admit_relay(m), "candidate")) return;
    forward_to_partner(protocol::relay_text(m), ctx_.counters.relayed_candidates_total);
}

void signaling_session::handle(const protocol::ping_message&) {
    send_unsequenced(protocol::finish(protocol::make_pong()));
}

void signaling_session::handle(const protocol::resume_message& m) {
    auto older = ctx_.tokens.take(m.token);
    if (older.get() == this) {
        // The client named this connection's own fresh token: nothing to
        // resume, and the token stays valid.
        ctx_.tokens.insert(token_, weak_from_this());
        older.reset();
    }
    if (!older && ctx_.others != nullptr) {
        // Perhaps another node's (cluster mode): it keeps the session and
        // lends it this connection. Until it answers, what the client sends
        // next waits here (on_bridge_answered).
        life_ = life::handing_over;
        bridge_ = ctx_.others->resume(m.token, m.last_seq, credentials_expiry_, weak_from_this());
        return;
    }
    if (!older) {
        resume_refused();
        return;
    }
    // The older session decides on its own thread; until it answers, what
    // the client sends next waits here (on_take_over_answer).
    life_ = life::handing_over;
    auto t = transport_.lock();
    older->on_home([older_session = older.get(), t = std::move(t), last_seq = m.last_seq,
                    fresh = shared_from_this(), expiry = credentials_expiry_]() mutable {
        older_session->take_over(std::move(t), last_seq, expiry,
                                 [fresh](std::shared_ptr<signaling_session> taken) {
                                     fresh->on_home([fresh, taken = std::move(taken)]() mutable {
                                         const bool ok = taken != nullptr;  // before the move below
                                         fresh->on_take_over_answer(ok, std::move(taken));
                                     });
                                 });
    });
}

void signaling_session::handle(const protocol::ack_message& m) {
    // Accepted in every state; an ack of what was never sent is the
    // client's confusion, not something to trim by.
    if (m.seq > seq_) {
        refuse(protocol::error_code::invalid_message, "ack names a seq that was never sent", "ack");
        return;
    }
    history_.acknowledge(m.seq);
}

bool signaling_session::refuse_unpaired_relay(std::string_view ref) {
    if (state_ == state::paired) return false;
    const bool racing_end =
        last_pair_end_ && settings().now() - *last_pair_end_ < settings().trickle_grace;
    if (!racing_end) refuse(protocol::error_code::bad_state, "only allowed while paired", ref);
    return true;
}

void signaling_session::forward_to_partner(std::string text,
                                           std::atomic<std::uint64_t>& relayed_total) {
    if (auto partner = partner_.lock()) {
        relayed_total.fetch_add(1, std::memory_order_relaxed);
        partner->relay(pair_id_, std::move(text), read_at_);
    }
}

void signaling_session::end_pairing_locally() {
    state_ = state::idle;
    pair_id_ = 0;
    partner_.reset();
    last_pair_end_ = settings().now();
}

match::matchmaker::handle* signaling_session::member() {
    if (!member_) member_ = ctx_.matcher.attach(shared_from_this());
    return member_;
}

}  // namespace onymous::session
