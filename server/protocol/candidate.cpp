#include "protocol/parse_detail.hpp"

#include "protocol/utf8.hpp"

#include <cstdint>
#include <optional>

namespace onymous::protocol::detail {

namespace {

constexpr std::string_view ref = "candidate";

parse_result refuse_candidate(std::string message) {
    return refuse(error_code::invalid_candidate, std::move(message), ref);
}

// Reads an optional integer 0..255; false when present, non-null and not one.
bool read_mline_index(const json_reader::document& doc, const json_reader::value& object,
                      std::optional<int>& out) {
    const json_reader::value* it = doc.find(object, "sdpMLineIndex");
    if (it == nullptr || it->is_null()) return true;
    // Non-negative integers are unsigned and those written with a minus
    // (even -0) signed; 1.0 and 1e0 are floats and refused.
    if (it->is_unsigned()) {
        if (it->unsigned_value > 255) return false;
        out = static_cast<int>(it->unsigned_value);
        return true;
    }
    if (!it->is_signed() || it->signed_value != 0) return false;
    out = 0;
    return true;
}

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 4566's token characters: what an SDP a=mid value is made of.
bool is_token_char(char c) {
    return is_alnum(c) || std::string_view("!#$%&'*+-.^_`{|}~").find(c) != std::string_view::npos;
}

// RFC 8839's ice-char: what an ICE username fragment is made of.
bool is_ice_char(char c) { return is_alnum(c) || c == '+' || c == '/'; }

// Reads an optional string of 1..max_bytes characters that each pass
// `allowed`; false when present, non-null and not such a string.
bool read_grammar_string(const json_reader::document& doc, const json_reader::value& object,
                         const char* key, std::size_t max_bytes, bool (*allowed)(char),
                         std::optional<std::string>& out) {
    const json_reader::value* it = doc.find(object, key);
    if (it == nullptr || it->is_null()) return true;
    if (!it->is_string() || it->text.empty() || it->text.size() > max_bytes) return false;
    for (const char c : it->text) {
        if (!allowed(c)) return false;
    }
    out = std::string(it->text);
    return true;
}

}  // namespace

parse_result parse_candidate(const json_reader::document& doc, const json_reader::value& message) {
    const json_reader::value* field = doc.find(message, "candidate");
    if (field == nullptr || !(field->is_null() || field->is_object())) {
        return refuse(error_code::invalid_message, "candidate must be an object or null", ref);
    }
    if (field->is_null()) return client_message{candidate_message{}};

    const json_reader::value& init = *field;
    ice_candidate candidate;
    const json_reader::value* line = doc.find(init, "candidate");
    if (line == nullptr || !line->is_string()) {
        return refuse_candidate("candidate.candidate must be a string");
    }
    candidate.candidate = line->text;
    const bool end_of_candidates = candidate.candidate.empty();
    if (!end_of_candidates) {
        if (candidate.candidate.size() > max_candidate_bytes) {
            return refuse_candidate("candidate.candidate is longer than 1024 bytes");
        }
        if (!candidate.candidate.starts_with("candidate:")) {
            return refuse_candidate("candidate.candidate must start with candidate:");
        }
        if (!utf8::is_clean_text(candidate.candidate)) {
            return refuse_candidate("candidate.candidate contains a control character");
        }
    }

    // Type-checked even for end-of-candidates: they are relayed with it.
    if (!read_grammar_string(doc, init, "sdpMid", max_sdp_mid_bytes, is_token_char,
                             candidate.sdp_mid)) {
        return refuse_candidate("candidate.sdpMid must be null or 1 to 64 token characters");
    }
    if (!read_mline_index(doc, init, candidate.sdp_mline_index)) {
        return refuse_candidate("candidate.sdpMLineIndex must be null or an integer from 0 to 255");
    }
    if (!read_grammar_string(doc, init, "usernameFragment", max_username_fragment_bytes,
                             is_ice_char, candidate.username_fragment)) {
        return refuse_candidate(
            "candidate.usernameFragment must be null or 1 to 256 ICE characters");
    }
    if (!end_of_candidates && !candidate.sdp_mid && !candidate.sdp_mline_index) {
        return refuse_candidate("candidate needs sdpMid or sdpMLineIndex");
    }
    return client_message{candidate_message{std::move(candidate)}};
}

}  // namespace onymous::protocol::detail
