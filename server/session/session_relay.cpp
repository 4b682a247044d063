// Matcher and partner events, on the session's home: matched, partner_left
// and relayed messages, and the pair-id rule that keeps every pairing's
// messages inside it (docs/architecture.md, How a pairing stays private).

#include "session/session_guard.hpp"

#include <onymous/protocol/relay_text.hpp>
#include <onymous/session/credentials.hpp>

namespace onymous::session {

// The matcher calls these while it applies operations, and a peer must
// never call back into it synchronously: always posted, never inline.
void signaling_session::matched(match::pairing p) {
    home_.post([self = shared_from_this(), p = std::move(p)]() mutable {
        self->guarded([&] { self->on_matched(p); });
    });
}

void signaling_session::partner_left(std::uint64_t pair_id) {
    home_.post([self = shared_from_this(), pair_id] {
        self->guarded([&] { self->on_partner_left(pair_id); });
    });
}

void signaling_session::relay(std::uint64_t pair_id, std::string text, clock::time_point read_at) {
    on_home([this, pair_id, text = std::move(text), read_at]() mutable {
        on_relay(pair_id, text, read_at);
    });
}

void signaling_session::on_matched(match::pairing& p) {
    if (p.pair_id > highest_pair_seen_) highest_pair_seen_ = p.pair_id;
    // A decision that a later join/next/leave of ours overtook: the matcher
    // has ended (or will end) that pairing and tells the partner.
    if (life_ == life::ended || p.ticket != ticket_ || state_ != state::waiting) {
        if (early_pair_id_ <= highest_pair_seen_) drop_early_relays();
        return;
    }
    state_ = state::paired;
    ctx_.counters.match_wait.observe(settings().now() - waiting_since_);
    pair_id_ = p.pair_id;
    role_ = p.role;
    limits_.start_pairing();  // the caps count per pairing
    partner_ = p.partner;
    // Kept past the pairing's end, for a report within report_grace.
    partner_address_ = p.partner ? p.partner->address_hash() : 0;
    partner_pair_ = p.pair_id;
    // Credentials that would expire during this chat are replaced with it:
    // the TURN server checks them at each allocation (an ICE restart too).
    std::vector<protocol::ice_server> fresh;
    const auto wall_now = settings().wall_now();
    if (credentials_due(settings().ice, credentials_expiry_, wall_now)) {
        fresh = ice_servers_for_connection(settings().ice, wall_now);
        credentials_expiry_ = credentials_expiry(fresh);
    }
    send_sequenced(protocol::make_matched(p.role, p.common_interests, fresh));
    if (early_pair_id_ == pair_id_) {
        auto early = std::move(early_relays_);
        early_relays_.clear();
        for (auto& text : early) {
            if (life_ == life::ended) break;
            send_sequenced_text(std::move(text));
        }
    }
    drop_early_relays();
}

void signaling_session::drop_early_relays() {
    early_relays_.clear();
    account_->remove(early_bytes_);
    early_bytes_ = 0;
}

void signaling_session::on_partner_left(std::uint64_t pair_id) {
    if (life_ == life::ended || state_ != state::paired || pair_id != pair_id_) return;
    end_pairing_locally();
    send_sequenced(protocol::make_partner_left());
    close_if_drained();
}

void signaling_session::on_relay(std::uint64_t pair_id, std::string& text,
                                 clock::time_point read_at) {
    if (life_ == life::ended) return;
    if (state_ == state::paired && pair_id == pair_id_) {
        // Observed before the hand-over: once handed, the text may reach the
        // partner (and a scrape after it) before this thread runs again.
        ctx_.counters.relay_latency.observe(settings().now() - read_at);
        send_sequenced_text(std::move(text));
        return;
    }
    // Pair ids only grow: one we have not seen yet is a pairing whose
    // matched is still on its way to us. Anything else is from a pairing
    // that is over and must never reach a later partner.
    if (pair_id <= highest_pair_seen_) return;
    if (early_pair_id_ != pair_id) {
        drop_early_relays();
        early_pair_id_ = pair_id;
    }
    // Held relays are outbound data like any other: past the bound the
    // session goes, as a client that stopped reading would (1008).
    if (early_bytes_ + text.size() > settings().limits.max_outbound_bytes) {
        end(protocol::close_code::policy);
        return;
    }
    early_bytes_ += text.size();
    account_->add(text.size());
    early_relays_.push_back(std::move(text));
}

void signaling_session::close_if_drained() {
    if (draining_seen_ && state_ != state::paired && life_ != life::ended)
        end(protocol::close_code::going_away);
}

}  // namespace onymous::session
