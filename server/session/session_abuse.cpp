// The abuse controls as a session applies them (PROTOCOL.md, Abuse
// controls): the checks of join and next after the join bucket, the
// challenge in force, and `report`. The state they count lives in
// session_context's abuse::controls, shared by every session of the node.
//
// Nothing here is logged: who reported whom, and any address or hash of
// one, stays in memory (PROTOCOL.md, Privacy).

#include "session/session_guard.hpp"

#include <onymous/abuse/shadow_pool.hpp>
#include <onymous/protocol/waiting_text.hpp>

namespace onymous::session {

bool signaling_session::refuse_abuse(bool is_next, const std::vector<std::string>& proof,
                                     std::string_view ref, bool& proved) {
    const std::uint64_t address = address_.load(std::memory_order_relaxed);
    const auto now = settings().now();
    if (is_next) {
        const abuse::skip_decision skip = ctx_.abuse.on_next(address, now);
        if (!skip.allowed) {
            refuse(protocol::error_code::rate_limited, "too many skips, retry later", ref,
                   skip.retry_after);
            return true;
        }
    }
    const abuse::address_status status = ctx_.abuse.status(address, now);
    if (status.state == abuse::standing::suspended) {
        refuse(protocol::error_code::suspended, "suspended after reports, retry later", ref,
               status.retry_after);
        return true;
    }
    // Proof of work applies while it is on and this session holds a
    // challenge (a reload that turns it on reaches connections opened after).
    if (!challenge_ || !ctx_.abuse.proof_of_work_on()) return false;
    const abuse::proof_result result = ctx_.abuse.check(challenge_->prefix, proof, now);
    proved = result == abuse::proof_result::ok;
    if (proved) return false;
    if (result == abuse::proof_result::expired) {
        // The challenge in force stays the same, except once it has expired:
        // no proof could ever meet it again. The error carries its successor
        // (clients ignore fields they do not know).
        challenge_ = ctx_.abuse.issue(address, now);
        auto error = protocol::make_error(protocol::error_code::invalid_proof,
                                          "the challenge has expired", ref);
        if (challenge_) error["challenge"] = protocol::challenge_json(*challenge_);
        send_error(protocol::error_code::invalid_proof, error);
        return true;
    }
    refuse(protocol::error_code::invalid_proof,
           result == abuse::proof_result::missing ? "a proof of work is required"
                                                  : "the proof of work is not valid",
           ref);
    return true;
}

void signaling_session::accept_proof(bool proved) {
    const auto now = settings().now();
    ctx_.abuse.record_join(now);
    if (!proved) return;
    // Redeemed: the challenge in force is replaced, so the same proof, sent
    // again, meets the successor (abuse/proof_of_work.hpp, single use).
    ctx_.abuse.count_redeemed();
    challenge_ = ctx_.abuse.issue(address_.load(std::memory_order_relaxed), now);
}

std::string signaling_session::waiting_text() const {
    return protocol::waiting_text(ctx_.abuse.proof_of_work_on() ? challenge_ : std::nullopt);
}

bool signaling_session::shadowed() {
    const std::uint64_t address = address_.load(std::memory_order_relaxed);
    return abuse::in_shadow_pool(ctx_.abuse.status(address, settings().now()).state);
}

void signaling_session::handle(const protocol::report_message&) {
    const auto now = settings().now();
    const bool recent = last_pair_end_ && now - *last_pair_end_ < settings().report_grace;
    if (state_ != state::paired && !recent) {
        refuse(protocol::error_code::bad_state, "report needs a current or recent partner",
               "report");
        return;
    }
    // Once per pairing: a second report of the same one changes nothing.
    if (partner_pair_ != 0 && reported_pair_ != partner_pair_) {
        reported_pair_ = partner_pair_;
        ctx_.abuse.report(address_.load(std::memory_order_relaxed), partner_address_, now);
    }
    send_unsequenced(protocol::finish(protocol::make_reported()));
}

}  // namespace onymous::session
