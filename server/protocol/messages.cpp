#include <onymous/protocol/messages.hpp>

namespace onymous::protocol {

std::string_view to_string(chat_mode mode) { return mode == chat_mode::text ? "text" : "video"; }

std::string_view to_string(error_code code) {
    switch (code) {
    case error_code::bad_json: return "bad_json";
    case error_code::invalid_message: return "invalid_message";
    case error_code::unknown_type: return "unknown_type";
    case error_code::bad_state: return "bad_state";
    case error_code::invalid_sdp: return "invalid_sdp";
    case error_code::invalid_candidate: return "invalid_candidate";
    case error_code::rate_limited: return "rate_limited";
    case error_code::invalid_proof: return "invalid_proof";
    case error_code::suspended: return "suspended";
    case error_code::resume_failed: return "resume_failed";
    case error_code::draining: return "draining";
    }
    return "invalid_message";  // unreachable with a valid enumerator
}

std::string_view to_string(sdp_kind kind) { return kind == sdp_kind::offer ? "offer" : "answer"; }

std::string_view to_string(role r) { return r == role::offerer ? "offerer" : "answerer"; }

std::string_view to_string(session_state state) {
    switch (state) {
    case session_state::idle: return "idle";
    case session_state::waiting: return "waiting";
    case session_state::paired: return "paired";
    }
    return "idle";  // unreachable with a valid enumerator
}

namespace {

struct type_namer {
    std::string_view operator()(const join_message&) const { return "join"; }
    std::string_view operator()(const sdp_message& m) const { return to_string(m.kind); }
    std::string_view operator()(const candidate_message&) const { return "candidate"; }
    std::string_view operator()(const next_message&) const { return "next"; }
    std::string_view operator()(const leave_message&) const { return "leave"; }
    std::string_view operator()(const ping_message&) const { return "ping"; }
    std::string_view operator()(const resume_message&) const { return "resume"; }
    std::string_view operator()(const ack_message&) const { return "ack"; }
    std::string_view operator()(const report_message&) const { return "report"; }
};

}  // namespace

std::string_view type_name(const client_message& message) {
    return std::visit(type_namer{}, message);
}

}  // namespace onymous::protocol
