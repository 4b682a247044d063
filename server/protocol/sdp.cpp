#include <onymous/protocol/parse.hpp>

#include "protocol/utf8.hpp"

namespace onymous::protocol {

namespace {

enum class line_end { more, ended, bad };

// Consumes one line's value from pos up to and including its line ending.
// Sets `reason` when the value or its ending breaks the grammar.
line_end consume_value(std::string_view sdp, std::size_t& pos, std::string& reason) {
    while (pos < sdp.size()) {
        const auto byte = static_cast<unsigned char>(sdp[pos]);
        if (byte == '\n') {
            ++pos;
            return line_end::ended;
        }
        if (byte == '\r') {
            if (pos + 1 < sdp.size() && sdp[pos + 1] == '\n') {
                pos += 2;
                return line_end::ended;
            }
            reason = "sdp has a carriage return without a line feed";
            return line_end::bad;
        }
        if (byte < 0x80) {
            if (byte < 0x20 || byte == 0x7F) {
                reason = "sdp contains a control character";
                return line_end::bad;
            }
            ++pos;
            continue;
        }
        char32_t cp = 0;
        if (!utf8::decode(sdp, pos, cp)) {
            reason = "sdp is not valid UTF-8";
            return line_end::bad;
        }
        if (utf8::is_control(cp)) {
            reason = "sdp contains a control character";
            return line_end::bad;
        }
    }
    reason = "sdp must end with a line ending";
    return line_end::bad;
}

}  // namespace

std::string check_sdp_grammar(std::string_view sdp, std::size_t max_bytes) {
    if (sdp.size() > max_bytes) return "sdp is longer than maxSdpBytes";
    if (!sdp.starts_with("v=0")) return "sdp must start with v=0";

    std::string reason;
    std::size_t pos = 0;
    while (pos < sdp.size()) {
        // RFC 8866 types are single lower-case letters; an empty line is no line.
        if (sdp[pos] < 'a' || sdp[pos] > 'z' || pos + 1 >= sdp.size() || sdp[pos + 1] != '=') {
            return "sdp lines must be <letter>=<value> with a lower-case letter";
        }
        pos += 2;
        if (consume_value(sdp, pos, reason) == line_end::bad) return reason;
    }
    return reason;
}

std::string check_sdp_mode(std::string_view sdp, chat_mode mode) {
    if (mode != chat_mode::text) return {};
    // The grammar guarantees every CR is followed by LF, so lines start at 0
    // and after each LF.
    std::size_t pos = 0;
    while (pos < sdp.size()) {
        const std::string_view line = sdp.substr(pos);
        if (line.starts_with("m=") && !line.starts_with("m=application ")) {
            return "text mode allows only m=application media";
        }
        const std::size_t end = sdp.find('\n', pos);
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    return {};
}

}  // namespace onymous::protocol
