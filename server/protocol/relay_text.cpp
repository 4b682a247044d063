#include <onymous/protocol/relay_text.hpp>

#include <charconv>

namespace onymous::protocol {

namespace {

/// A candidate's text without its strings' contents: the keys, the quotes
/// and braces, a 5-digit sdpMLineIndex, and a few bytes of escapes.
constexpr std::size_t candidate_fixed = 105 + 11;

}  // namespace

void append_number(std::string& out, std::uint64_t value) {
    char digits[20];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, end);
}

void append_json_string(std::string& out, std::string_view value) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t plain_from = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(value.substr(plain_from, i - plain_from));
        plain_from = i + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
        }
    }
    out.append(value.substr(plain_from));
    out.push_back('"');
}

std::string relay_text(const sdp_message& message) {
    std::string out;
    // An SDP has a CRLF per line, each escaped to 4 bytes: about 1/16 more.
    out.reserve(32 + message.sdp.size() + message.sdp.size() / 16 + seq_room);
    out += R"({"type":")";
    out += to_string(message.kind);
    out += R"(","sdp":)";
    append_json_string(out, message.sdp);
    out.push_back('}');
    return out;
}

std::string relay_text(const candidate_message& message) {
    std::string out;
    if (!message.candidate) {
        out.reserve(40 + seq_room);
        out += R"({"type":"candidate","candidate":null})";
        return out;
    }
    const ice_candidate& c = *message.candidate;
    // The fixed parts with every field present are 105 bytes (a 5-digit
    // index); 96 made almost every candidate outgrow its reservation, and
    // the string doubled: a frame held for resume kept twice its size.
    out.reserve(candidate_fixed + c.candidate.size() + (c.sdp_mid ? c.sdp_mid->size() : 0) +
                (c.username_fragment ? c.username_fragment->size() : 0) + seq_room);
    out += R"({"type":"candidate","candidate":{"candidate":)";
    append_json_string(out, c.candidate);
    out += R"(,"sdpMid":)";
    if (c.sdp_mid)
        append_json_string(out, *c.sdp_mid);
    else
        out += "null";
    out += R"(,"sdpMLineIndex":)";
    if (c.sdp_mline_index)
        append_number(out, static_cast<std::uint64_t>(*c.sdp_mline_index));
    else
        out += "null";
    if (c.username_fragment) {
        out += R"(,"usernameFragment":)";
        append_json_string(out, *c.username_fragment);
    }
    out += "}}";
    return out;
}

void append_seq(std::string& text, std::uint64_t seq) {
    // Every message the server builds is one JSON object: its last byte is
    // the closing brace.
    text.pop_back();
    text += R"(,"seq":)";
    append_number(text, seq);
    text.push_back('}');
}

}  // namespace onymous::protocol
