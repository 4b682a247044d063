#include <onymous/session/signaling_session.hpp>

#include <type_traits>
#include <utility>

namespace onymous::session {

namespace {

/// Bound on relays held for a pairing whose `matched` is still in flight.
/// The window is one cross-thread hop; a real client sends far fewer.
constexpr std::size_t max_early_relays = 64;

}  // namespace

std::string_view to_string(state s) {
    switch (s) {
    case state::idle: return "idle";
    case state::waiting: return "waiting";
    case state::paired: return "paired";
    }
    return "?";
}

signaling_session::signaling_session(const session_settings& settings, match::matcher& matcher)
    : settings_(settings), matcher_(matcher), errors_(settings.max_errors, settings.error_window) {}

signaling_session::~signaling_session() = default;

void signaling_session::start(std::string resume_token,
                              const std::vector<protocol::ice_server>& ice_servers) {
    send_text(protocol::finish(
        protocol::make_hello(resume_token, ice_servers, settings_.relay_only, settings_.hello)));
}

void signaling_session::on_text(std::string_view text) {
    if (closed_) return;
    const bool first = !received_any_;
    received_any_ = true;
    auto parsed = protocol::parse(text, settings_.parse);
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
    std::visit([this](const auto& m) { handle(m); }, message);
}

void signaling_session::on_transport_closed(bool /*clean*/) {
    if (closed_) return;
    closed_ = true;
    // Until resume grace lands, a drop ends the session like a close frame.
    if (member_) {
        matcher_.detach(member_);
        member_ = nullptr;
    }
    state_ = state::idle;
    partner_.reset();
    early_relays_.clear();
}

// --- Client messages -------------------------------------------------------

void signaling_session::handle(const protocol::join_message& m) {
    if (state_ != state::idle) {
        refuse(protocol::error_code::bad_state, "join is only allowed when idle", "join");
        return;
    }
    mode_ = m.mode;
    state_ = state::waiting;
    send_sequenced(protocol::make_waiting());
    matcher_.join(member(), ++ticket_, m.mode, m.interests);
}

void signaling_session::handle(const protocol::next_message&) {
    if (!mode_) {
        refuse(protocol::error_code::bad_state, "next needs a previous join", "next");
        return;
    }
    if (state_ == state::paired) end_pairing_locally();
    state_ = state::waiting;
    send_sequenced(protocol::make_waiting());
    matcher_.next(member(), ++ticket_);
}

void signaling_session::handle(const protocol::leave_message&) {
    if (state_ != state::idle) {
        if (state_ == state::paired) end_pairing_locally();
        state_ = state::idle;
        matcher_.leave(member(), ++ticket_);
    }
    send_sequenced(protocol::make_left());
}

void signaling_session::handle(const protocol::sdp_message& m) {
    const auto ref = protocol::to_string(m.kind);
    if (refuse_unpaired_relay(ref)) return;
    if (auto reason = protocol::check_sdp_mode(m.sdp, *mode_); !reason.empty()) {
        refuse(protocol::error_code::invalid_sdp, reason, ref);
        return;
    }
    forward_to_partner(protocol::make_sdp(m));
}

void signaling_session::handle(const protocol::candidate_message& m) {
    if (refuse_unpaired_relay("candidate")) return;
    forward_to_partner(protocol::make_candidate(m));
}

void signaling_session::handle(const protocol::ping_message&) {
    send_text(protocol::finish(protocol::make_pong()));
}

void signaling_session::handle(const protocol::resume_message&) {
    // No session is ever held for resuming yet, so every token is unknown:
    // the contract's answer is resume_failed and a fresh idle session.
    refuse(protocol::error_code::resume_failed, "the session cannot be resumed", "resume");
}

bool signaling_session::refuse_unpaired_relay(std::string_view ref) {
    if (state_ == state::paired) return false;
    const bool racing_end =
        last_pair_end_ && settings_.now() - *last_pair_end_ < settings_.trickle_grace;
    if (!racing_end)
        refuse(protocol::error_code::bad_state, "only allowed while paired", ref);
    return true;
}

void signaling_session::forward_to_partner(protocol::json message) {
    if (auto partner = partner_.lock()) partner->relay(pair_id_, std::move(message));
}

void signaling_session::end_pairing_locally() {
    state_ = state::idle;
    pair_id_ = 0;
    partner_.reset();
    last_pair_end_ = settings_.now();
}

match::matcher::member* signaling_session::member() {
    if (!member_) member_ = matcher_.attach(shared_from_this());
    return member_;
}

// --- Matcher and partner events (any thread -> own executor) ---------------

void signaling_session::matched(match::pairing p) {
    post_to_self([self = shared_from_this(), p = std::move(p)]() mutable { self->on_matched(p); });
}

void signaling_session::partner_left(std::uint64_t pair_id) {
    post_to_self([self = shared_from_this(), pair_id] { self->on_partner_left(pair_id); });
}

void signaling_session::relay(std::uint64_t pair_id, protocol::json message) {
    post_to_self([self = shared_from_this(), pair_id, m = std::move(message)]() mutable {
        self->on_relay(pair_id, m);
    });
}

void signaling_session::on_matched(match::pairing& p) {
    if (p.pair_id > highest_pair_seen_) highest_pair_seen_ = p.pair_id;
    // A decision that a later join/next/leave of ours overtook: the matcher
    // has ended (or will end) that pairing and tells the partner.
    if (closed_ || p.ticket != ticket_ || state_ != state::waiting) {
        if (early_pair_id_ <= highest_pair_seen_) early_relays_.clear();
        return;
    }
    state_ = state::paired;
    pair_id_ = p.pair_id;
    partner_ = std::static_pointer_cast<signaling_session>(p.partner);
    send_sequenced(protocol::make_matched(p.role, p.common_interests));
    if (early_pair_id_ == pair_id_) {
        for (auto& message : early_relays_) send_sequenced(std::move(message));
    }
    early_relays_.clear();
}

void signaling_session::on_partner_left(std::uint64_t pair_id) {
    if (closed_ || state_ != state::paired || pair_id != pair_id_) return;
    end_pairing_locally();
    send_sequenced(protocol::make_partner_left());
}

void signaling_session::on_relay(std::uint64_t pair_id, protocol::json& message) {
    if (closed_) return;
    if (state_ == state::paired && pair_id == pair_id_) {
        send_sequenced(std::move(message));
        return;
    }
    // Pair ids only grow: one we have not seen yet is a pairing whose
    // matched is still on its way to us. Anything else is from a pairing
    // that is over and must never reach a later partner.
    if (pair_id <= highest_pair_seen_) return;
    if (early_pair_id_ != pair_id) {
        early_relays_.clear();
        early_pair_id_ = pair_id;
    }
    if (early_relays_.size() < max_early_relays) early_relays_.push_back(std::move(message));
}

// --- Output ------------------------------------------------------------------

void signaling_session::send_sequenced(protocol::json message) {
    send_text(protocol::finish(std::move(message), ++seq_));
}

void signaling_session::refuse(protocol::error_code code, std::string_view message,
                               std::string_view ref) {
    send_text(protocol::finish(protocol::make_error(code, message, ref)));
    if (errors_.spend(settings_.now())) close_with(protocol::close_code::policy);
}

}  // namespace onymous::session
