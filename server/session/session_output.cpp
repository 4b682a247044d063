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
    auto f = make_frame(std::move(text));
    history_.push(seq_, f);
    if (life_ != life::attached) {
        // In the grace the history alone holds what the partner sends, as
        // a connection's queue would (limits.max_outbound_bytes). Past it
        // a resume could not be served: the session ends now rather than
        // letting the partner talk into the void until the grace runs out.
        if (history_.unhanded_bytes() > settings().limits.max_outbound_bytes) end(std::nullopt);
        return;
    }
    if (auto t = transport_.lock()) {
        t->send(std::move(f));
        history_.handed(seq_);
    }
}

void signaling_session::send_unsequenced(std::string text) {
    // Only to a live connection: pong, error, hello and resumed are never
    // replayed.
    if (life_ != life::attached && life_ != life::handing_over && life_ != life::bridged) return;
    if (auto t = transport_.lock()) t->send(make_frame(std::move(text)));
}

void signaling_session::refuse(protocol::error_code code, std::string_view message,
                               std::string_view ref) {
    send_error(code, protocol::make_error(code, message, ref));
}

void signaling_session::refuse(protocol::error_code code, std::string_view message,
                               std::string_view ref, std::chrono::milliseconds retry_after) {
    send_error(code, protocol::make_error(code, message, ref, retry_after));
}

void signaling_session::send_error(protocol::error_code code, const protocol::json& error) {
    ctx_.counters.errors_total[static_cast<std::size_t>(code)].fetch_add(1,
                                                                         std::memory_order_relaxed);
    send_unsequenced(protocol::finish(error));
    if (errors_.spend(settings().now())) end(protocol::close_code::policy);
}

void signaling_session::evict() {
    // The budget chose this session (start() posted here): its connection
    // goes at once, dropping its queue, and the partner hears partner_left.
    guarded([&] { end(protocol::close_code::policy, true); });
}

}  // namespace onymous::session
