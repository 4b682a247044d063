#include "protocol/parse_detail.hpp"

#include <cstdint>

namespace onymous::protocol {

namespace {

using detail::json;
using detail::refuse;

// nlohmann parses and destroys without recursion, but its copies, compares
// and dump() recurse per level, and 64 KiB of "[" is 65536 levels: bound the
// depth with one linear pass before building any DOM. Brackets inside
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

parse_result parse_sdp(json& message, sdp_kind kind, const parse_limits& limits) {
    const std::string_view ref = to_string(kind);
    const auto field = message.find("sdp");
    if (field == message.end() || !field->is_string()) {
        return refuse(error_code::invalid_message, "sdp must be a string", ref);
    }
    std::string& sdp = field->get_ref<std::string&>();
    std::string reason = check_sdp_grammar(sdp, limits.max_sdp_bytes);
    if (!reason.empty()) return refuse(error_code::invalid_sdp, std::move(reason), ref);
    return client_message{sdp_message{kind, std::move(sdp)}};
}

parse_result parse_resume(json& message) {
    constexpr std::string_view ref = "resume";
    resume_message resume;
    const auto token = message.find("token");
    if (token == message.end() || !token->is_string()) {
        return refuse(error_code::invalid_message, "token must be a string", ref);
    }
    if (token->get_ref<const std::string&>().size() > max_resume_token_bytes) {
        return refuse(error_code::invalid_message, "token is longer than 64 bytes", ref);
    }
    resume.token = std::move(token->get_ref<std::string&>());

    const auto last_seq = message.find("last_seq");
    const bool is_zero = last_seq != message.end() && last_seq->is_number_integer() &&
                         !last_seq->is_number_unsigned() && last_seq->get<std::int64_t>() == 0;
    if (last_seq == message.end() || !(last_seq->is_number_unsigned() || is_zero)) {
        return refuse(error_code::invalid_message, "last_seq must be a non-negative integer", ref);
    }
    resume.last_seq = is_zero ? 0 : last_seq->get<std::uint64_t>();
    return client_message{std::move(resume)};
}

}  // namespace

parse_result parse(std::string_view text, const parse_limits& limits) {
    if (nests_deeper_than(text, max_json_depth)) {
        return refuse(error_code::bad_json, "JSON nests deeper than 32 levels", {});
    }
    // nlohmann's lexer takes a NUL byte for the end of input, so
    // '{"type":"ping"}\0junk' would parse. A raw NUL is never valid JSON
    // (between tokens it is not white space, in a string it must be escaped).
    const bool has_nul = text.find('\0') != std::string_view::npos;
    json message = has_nul ? json(json::value_t::discarded)
                           : json::parse(text.begin(), text.end(), nullptr, false);
    if (message.is_discarded()) {
        return refuse(error_code::bad_json, "message is not valid JSON", {});
    }
    if (!message.is_object()) {
        return refuse(error_code::invalid_message, "message must be a JSON object", {});
    }
    const auto type_field = message.find("type");
    if (type_field == message.end()) {
        return refuse(error_code::invalid_message, "message has no type", {});
    }
    if (!type_field->is_string()) {
        return refuse(error_code::invalid_message, "type must be a string", {});
    }

    const std::string& type = type_field->get_ref<const std::string&>();
    if (type == "join") return detail::parse_join(message, limits);
    if (type == "offer") return parse_sdp(message, sdp_kind::offer, limits);
    if (type == "answer") return parse_sdp(message, sdp_kind::answer, limits);
    if (type == "candidate") return detail::parse_candidate(message);
    if (type == "next") return client_message{next_message{}};
    if (type == "leave") return client_message{leave_message{}};
    if (type == "ping") return client_message{ping_message{}};
    if (type == "resume") return parse_resume(message);
    return refuse(error_code::unknown_type, "type is not one a client may send", echoable(type));
}

}  // namespace onymous::protocol
