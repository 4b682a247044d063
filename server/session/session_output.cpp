// What a session sends: sequenced messages get the next seq and go to the
// history (for a resume) and to the attached connection, if any.

#include "session/session_guard.hpp"

#include <onymous/protocol/relay_text.hpp>

namespace onymous::session {

void signaling_session::send_sequenced(const protocol::json& message) {
    send_sequenced_text(protocol::finish(message));
}

void signaling_session::send_sequenced_text(std::string text) {
    protocol::append_seq(text, ++seq_);
    auto f = std::make_shared<const std::string>(std::move(text));
    remember(seq_, f);
    if (life_ != life::attached) return;  // in the grace: the history has it
    if (auto t = transport_.lock()) {
        t->send(std::move(f));
        handed_seq_ = seq_;
    }
}

void signaling_session::send_unsequenced(std::string text) {
    // Only to a live connection: pong, error, hello and resumed are never
    // replayed.
    if (life_ != life::attached && life_ != life::handing_over) return;
    if (auto t = transport_.lock()) t->send(std::make_shared<const std::string>(std::move(text)));
}

void signaling_session::remember(std::uint64_t seq, const frame& text) {
    const auto dropped = history_.push(seq, text);
    // While a connection carries the session, the history only loses what
    // was handed to it. In the grace, losing a message that never left
    // means a resume could not be served: the session ends now rather than
    // letting the partner talk into the void until the grace runs out.
    if (dropped && *dropped > handed_seq_) end(std::nullopt);
}

void signaling_session::refuse(protocol::error_code code, std::string_view message,
                               std::string_view ref) {
    ctx_.counters.errors_total[static_cast<std::size_t>(code)].fetch_add(1,
                                                                         std::memory_order_relaxed);
    send_unsequenced(protocol::finish(protocol::make_error(code, message, ref)));
    if (errors_.spend(settings().now())) end(protocol::close_code::policy);
}

}  // namespace onymous::session
