#include "protocol/parse_detail.hpp"

#include <cstdint>
#include <optional>

namespace onymous::protocol {

namespace {

using detail::refuse;

// 64 KiB of "[" is 65536 levels, and the reader recurses per level: bound
// the depth with one linear pass before reading. Brackets inside
// strings do not count; on malformed text the count may be off, which only
// changes which bad_json text the client gets.
bool nests_deeper_than(std::string_view text, std::size_t limit) {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

// An unknown type is echoed in `ref` only when it cannot carry much: short
// printable ASCII. Anything else might be user data.
std::string_view echoable(std::string_view type) {
    if (type.size() > max_echoed_type_bytes) return {};
    for (const char c : type) {
        if (c < 0x20 || c > 0x7E) return {};
    }
    return type;
}

parse_result parse_sdp(const json_reader::document& doc, const json_reader::value& message,
                       sdp_kind kind, const parse_limits& limits) {
    const std::string_view ref = to_string(kind);
    const json_reader::value* field = doc.find(message, "sdp");
    if (field == nullptr || !field->is_string()) {
        return refuse(error_code::invalid_message, "sdp must be a string", ref);
    }
    std::string reason = check_sdp_grammar(field->text, limits.max_sdp_bytes);
    if (!reason.empty()) return refuse(error_code::invalid_sdp, std::move(reason), ref);
    return client_message{sdp_message{kind, std::string(field->text)}};
}

/// A seq as the client names it: a non-negative integer (-0 is a signed
/// integer that is still zero); nullopt when absent or anything else.
std::optional<std::uint64_t> sequence_number(const json_reader::value* field) {
    if (field == nullptr) return std::nullopt;
    if (field->is_unsigned()) return field->unsigned_value;
    if (field->is_signed() && field->signed_value == 0) return 0;
    return std::nullopt;
}

parse_result parse_resume(const json_reader::document& doc, const json_reader::value& message) {
    constexpr std::string_view ref = "resume";
    resume_message resume;
    const json_reader::value* token = doc.find(message, "token");
    if (token == nullptr || !token->is_string()) {
        return refuse(error_code::invalid_message, "token must be a string", ref);
    }
    if (token->text.size() > max_resume_token_bytes) {
        return refuse(error_code::invalid_message, "token is longer than 64 bytes", ref);
    }
    resume.token = token->text;

    const auto last_seq = sequence_number(doc.find(message, "last_seq"));
    if (!last_seq) {
        return refuse(error_code::invalid_message, "last_seq must be a non-negative integer", ref);
    }
    resume.last_seq = *last_seq;
    return client_message{std::move(resume)};
}

parse_result parse_ack(const json_reader::document& doc, const json_reader::value& message) {
    const auto seq = sequence_number(doc.find(message, "seq"));
    if (!seq)
        return refuse(error_code::invalid_message, "seq must be a non-negative integer", "ack");
    return client_message{ack_message{*seq}};
}

}  // namespace

parse_result parse(std::string_view text, const parse_limits& limits) {
    if (nests_deeper_than(text, max_json_depth)) {
        return refuse(error_code::bad_json, "JSON nests deeper than 32 levels", {});
    }
    // A raw NUL is never valid JSON (between tokens it is not white space,
    // in a string it must be escaped); the reader refuses it like any other.
    thread_local json_reader::document doc;
    if (!doc.read(text)) {
        return refuse(error_code::bad_json, "message is not valid JSON", {});
    }
    const json_reader::value& message = doc.root();
    if (!message.is_object()) {
        return refuse(error_code::invalid_message, "message must be a JSON object", {});
    }
    const json_reader::value* type_field = doc.find(message, "type");
    if (type_field == nullptr) {
        return refuse(error_code::invalid_message, "message has no type", {});
    }
    if (!type_field->is_string()) {
        return refuse(error_code::invalid_message, "type must be a string", {});
    }

    const std::string_view type = type_field->text;
    if (type == "join") return detail::parse_join(doc, message, limits);
    if (type == "offer") return parse_sdp(doc, message, sdp_kind::offer, limits);
    if (type == "answer") return parse_sdp(doc, message, sdp_kind::answer, limits);
    if (type == "candidate") return detail::parse_candidate(doc, message);
    if (type == "next") {
        next_message next;
        if (auto refused = detail::parse_proof(doc, message, "next", next.proof))
            return std::move(*refused);
        return client_message{std::move(next)};
    }
    if (type == "leave") return client_message{leave_message{}};
    if (type == "ping") return client_message{ping_message{}};
    if (type == "resume") return parse_resume(doc, message);
    if (type == "ack") return parse_ack(doc, message);
    if (type == "report") return client_message{report_message{}};
    return refuse(error_code::unknown_type, "type is not one a client may send", echoable(type));
}

}  // namespace onymous::protocol
