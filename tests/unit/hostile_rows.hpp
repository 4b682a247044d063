#pragma once
// The hostile-input rows that need no socket, moved from
// tests/e2e/hostile_input_test.cpp (whose names, inputs and states they keep)
// with their exact outcome: every error with its code, its exact message text
// and its ref, every relayed message, every close.
//
// - grammar_rows() (hostile_rows_json.cpp, hostile_rows_join.cpp,
//   hostile_rows_sdp.cpp, hostile_rows_candidate.cpp): what protocol::parse()
//   decides with no state. protocol_hostile_grammar_test.cpp
//   runs them through the parser alone.
// - session_rows() and flood_rows() (hostile_rows_session.cpp): what the
//   session decides: the state table, the trickle drops, resume, the
//   text-mode m-line rule, the error budget, the buckets and caps.
//
// session_hostile_input_test.cpp runs every row of the three tables through
// a session behind a fake transport, put first in the row's state: a
// grammar row's error comes whatever the state, and nothing of it reaches
// the partner.

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace onymous::test::hostile {

using nlohmann::json;

/// The states a row's client is put in first.
enum class start {
    fresh,      ///< connected, nothing sent yet (resume still allowed)
    idle,       ///< a ping answered: idle, never joined
    left,       ///< joined (text) and left: idle, never paired
    waiting,    ///< joined (text), waiting
    paired,     ///< paired in text mode
    video,      ///< paired in video mode
    ended,      ///< idle: its (text) partner left just now, the trickle window is open
    requeued,   ///< waiting again after its own next, just now
    self_left,  ///< idle after its own leave while paired, just now
};

inline bool is_paired(start state) { return state == start::paired || state == start::video; }

struct row {
    std::string name;
    start state;
    std::vector<std::string> input = {};  ///< text messages, sent back to back
    std::vector<json> replies = {};       ///< exactly what the sender gets (plus seq), in order
    std::vector<json> relayed = {};       ///< exactly what the partner gets (plus seq), in order
    int close = 0;                        ///< the close code after the replies; 0: stays open
    std::chrono::milliseconds settle{0};  ///< clock advanced, in silence, before the final ping
    bool marker = true;                   ///< the sender's marker offer after the row (paired)
    /// An accepted join: its interests as parse() normalises them.
    std::optional<std::vector<std::string>> interests = {};
};

/// An error exactly: `ref` empty means no ref at all.
inline json err(const std::string& code, const std::string& message, const std::string& ref = {}) {
    json error = {{"type", "error"}, {"code", code}, {"message", message}};
    if (!ref.empty()) error["ref"] = ref;
    return error;
}

inline const json pong = {{"type", "pong"}};
inline const json reported = {{"type", "reported"}};
inline const json waiting = {{"type", "waiting"}};
inline const json left = {{"type", "left"}};
inline const json partner_left = {{"type", "partner_left"}};

inline row refused(std::string name, start state, std::string input, json error) {
    return {std::move(name), state, {std::move(input)}, {std::move(error)}};
}
inline row answered(std::string name, start state, std::string input, json reply) {
    return {std::move(name), state, {std::move(input)}, {std::move(reply)}};
}
/// An accepted join answered with `waiting`; `interests` as normalised.
inline row joined(std::string name, start state, std::string input,
                  std::vector<std::string> interests) {
    row r{std::move(name), state, {std::move(input)}, {waiting}};
    r.interests = std::move(interests);
    return r;
}
inline row relays(std::string name, start state, std::string input, json relayed) {
    return {std::move(name), state, {std::move(input)}, {}, {std::move(relayed)}};
}
/// Accepted and without any answer: a silent drop.
inline row dropped(std::string name, start state, std::string input) {
    return {std::move(name), state, {std::move(input)}};
}

/// The error texts of the contract (docs/protocol.md, Validation rules).
namespace says {
inline const std::string not_json = "message is not valid JSON";
inline const std::string too_deep = "JSON nests deeper than 32 levels";
inline const std::string not_object = "message must be a JSON object";
inline const std::string no_type = "message has no type";
inline const std::string type_not_string = "type must be a string";
inline const std::string unknown_type = "type is not one a client may send";
inline const std::string bad_mode = R"(mode must be "text" or "video")";
inline const std::string interests_not_array = "interests must be an array of strings";
inline const std::string too_many_interests = "too many interests";
/// "interests[N]" + `what`, N the first refused entry.
inline std::string interest(int index, const std::string& what) {
    return "interests[" + std::to_string(index) + "] " + what;
}
inline const std::string not_string = "must be a string";
inline const std::string proof_not_array = "proof must be an array of strings";
inline const std::string too_many_nonces = "proof has more than 64 entries";
/// "proof[N] " + `what`, N the first refused nonce.
inline std::string nonce(int index, const std::string& what) {
    return "proof[" + std::to_string(index) + "] " + what;
}
inline const std::string no_partner_to_report = "report needs a current or recent partner";
inline const std::string empty = "is empty after trimming";
inline const std::string too_long = "is longer than 32 bytes";
inline const std::string control = "contains a control character";
inline const std::string zero_width = "contains a zero-width character";
inline const std::string bidi = "contains a bidi control character";
inline const std::string sdp_not_string = "sdp must be a string";
inline const std::string sdp_too_long = "sdp is longer than maxSdpBytes";
inline const std::string sdp_no_v0 = "sdp must start with v=0";
inline const std::string sdp_line = "sdp lines must be <letter>=<value> with a lower-case letter";
inline const std::string sdp_no_eol = "sdp must end with a line ending";
inline const std::string sdp_bare_cr = "sdp has a carriage return without a line feed";
inline const std::string sdp_control = "sdp contains a control character";
inline const std::string sdp_text_mode = "text mode allows only m=application media";
inline const std::string candidate_field = "candidate must be an object or null";
inline const std::string candidate_string = "candidate.candidate must be a string";
inline const std::string candidate_too_long = "candidate.candidate is longer than 1024 bytes";
inline const std::string candidate_prefix = "candidate.candidate must start with candidate:";
inline const std::string candidate_control = "candidate.candidate contains a control character";
inline const std::string sdp_mid = "candidate.sdpMid must be null or 1 to 64 token characters";
inline const std::string mline_index =
    "candidate.sdpMLineIndex must be null or an integer from 0 to 255";
inline const std::string ufrag =
    "candidate.usernameFragment must be null or 1 to 256 ICE characters";
inline const std::string needs_mid = "candidate needs sdpMid or sdpMLineIndex";
inline const std::string token_not_string = "token must be a string";
inline const std::string token_too_long = "token is longer than 64 bytes";
inline const std::string last_seq = "last_seq must be a non-negative integer";
inline const std::string resume_failed = "the session cannot be resumed";
inline const std::string resume_not_first = "resume is only allowed as the first message";
inline const std::string join_not_idle = "join is only allowed when idle";
inline const std::string next_without_join = "next needs a previous join";
inline const std::string not_paired = "only allowed while paired";
inline const std::string too_many_messages = "too many messages, slow down";
inline const std::string too_many_joins = "too many join and next requests, slow down";
inline const std::string too_many_offers = "too many offers and answers in this pairing";
inline const std::string too_many_candidates = "too many candidates in this pairing";
}  // namespace says

// --- building inputs, byte for byte as the end-to-end table built them -------

inline const std::string ping_text = R"({"type":"ping"})";

inline std::string ping_with(const std::string& value) {
    return R"({"type":"ping","x":)" + value + "}";
}

inline std::string repeat(const std::string& part, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += part;
    return out;
}

/// `{"x":` … `}` nested `depth` levels deep.
inline std::string nested_objects(int depth) {
    return repeat(R"({"x":)", depth) + "1" + repeat("}", depth);
}

inline std::string nested_arrays(int depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

inline const std::string head_sdp = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";

/// An SDP of exactly `size` bytes, valid in text mode.
inline std::string sdp_of_size(std::size_t size) {
    const std::string prefix = "a=x-pad:";
    return head_sdp + prefix + std::string(size - head_sdp.size() - prefix.size() - 2, 'p') +
           "\r\n";
}

/// A data-channel-only SDP (valid in text mode) carrying `marker` in its o= line.
std::string text_sdp(const std::string& marker = "1");
/// An audio+video+data SDP (valid in video mode only).
std::string video_sdp(const std::string& marker = "1");
/// A valid RTCIceCandidateInit whose ufrag and foundation carry `marker`.
json candidate_init(const std::string& marker = "1", int foundation = 1);

inline json offer_message(const std::string& sdp) { return {{"type", "offer"}, {"sdp", sdp}}; }
inline json answer_message(const std::string& sdp) { return {{"type", "answer"}, {"sdp", sdp}}; }
inline json candidate_message(const json& init) {
    return {{"type", "candidate"}, {"candidate", init}};
}

inline std::string offer_text(const std::string& sdp) { return offer_message(sdp).dump(); }
inline std::string answer_text(const std::string& sdp) { return answer_message(sdp).dump(); }

inline std::string join_text(const json& fields) {
    json message = {{"type", "join"}};
    if (fields.is_object()) message.update(fields);
    return message.dump();
}

inline const std::string cand_line = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";

inline std::string cand_text(const json& init) { return candidate_message(init).dump(); }
inline std::string cand_raw(const std::string& init) {
    return R"({"type":"candidate","candidate":)" + init + "}";
}

/// The candidate as relayed: sdpMid and sdpMLineIndex always present.
inline json relayed_cand(const std::string& candidate, json mid, json index,
                         std::optional<std::string> ufrag = {}) {
    json init = {{"candidate", candidate}, {"sdpMid", mid}, {"sdpMLineIndex", index}};
    if (ufrag) init["usernameFragment"] = *ufrag;
    return candidate_message(init);
}

inline std::string resume_text(const std::string& token_json, const std::string& last_seq_json) {
    return R"({"type":"resume","token":)" + token_json + R"(,"last_seq":)" + last_seq_json + "}";
}

/// `text` as a JSON string literal (nlohmann escapes what needs escaping).
inline std::string quoted(const std::string& text) { return json(text).dump(); }

// --- the tables --------------------------------------------------------------

/// JSON, nesting, shape and type (hostile_rows_json.cpp).
std::vector<row> json_rows();
/// The fields of join (hostile_rows_join.cpp).
std::vector<row> join_rows();
/// The fields of offer and answer (hostile_rows_sdp.cpp).
std::vector<row> sdp_rows();
/// The fields of candidate and resume (hostile_rows_candidate.cpp).
std::vector<row> candidate_resume_rows();
/// All four: every row protocol::parse() decides alone.
std::vector<row> grammar_rows();
/// What the session decides, under the limits of the text table (hostile_rows_session.cpp).
std::vector<row> session_rows();
/// The buckets, caps and budget, under the flood limits (hostile_rows_session.cpp).
std::vector<row> flood_rows();

}  // namespace onymous::test::hostile
