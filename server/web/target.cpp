#include <onymous/web/target.hpp>

#include "protocol/utf8.hpp"

#include <optional>

namespace onymous::web {

namespace {

std::optional<unsigned> hex_value(char c) {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    return std::nullopt;
}

/// Percent-decodes one raw segment, once; nullopt on a bad escape or a
/// decoded character that must never reach a file name.
std::optional<std::string> decode_segment(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%') {
            out.push_back(raw[i]);
            continue;
        }
        if (i + 2 >= raw.size()) return std::nullopt;  // truncated escape
        const auto high = hex_value(raw[i + 1]);
        const auto low = hex_value(raw[i + 2]);
        if (!high || !low) return std::nullopt;
        const auto byte = static_cast<char>((*high << 4) | *low);
        // An encoded separator would let one segment name two levels.
        if (byte == '/' || byte == '\\') return std::nullopt;
        out.push_back(byte);
        i += 2;
    }
    // Strict UTF-8 and no control character (NUL, C0, DEL, C1).
    if (!protocol::utf8::is_clean_text(out)) return std::nullopt;
    return out;
}

bool raw_byte_refused(unsigned char c) { return c < 0x20 || c == 0x7f || c == '\\' || c == '#'; }

}  // namespace

std::variant<resolved_target, target_refusal> resolve_target(std::string_view target) {
    if (target.empty() || target.front() != '/') return target_refusal::bad_request;
    auto path = target.substr(0, target.find('?'));
    for (const char c : path)
        if (raw_byte_refused(static_cast<unsigned char>(c))) return target_refusal::bad_request;

    resolved_target out;
    path.remove_prefix(1);  // the leading '/'
    // First pass: every segment must decode, so that a bad escape anywhere
    // is a 400 whatever else the path holds.
    std::vector<std::string> segments;
    while (true) {
        const auto slash = path.find('/');
        auto decoded = decode_segment(path.substr(0, slash));
        if (!decoded) return target_refusal::bad_request;
        if (*decoded == "." || *decoded == "..") return target_refusal::bad_request;
        segments.push_back(std::move(*decoded));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    if (segments.size() > max_segments) return target_refusal::not_found;
    if (segments.back().empty()) {
        segments.back() = "index.html";
        out.directory_index = true;
    }
    for (const auto& segment : segments)
        if (segment.empty() || segment.front() == '.') return target_refusal::not_found;
    out.segments = std::move(segments);
    return out;
}

}  // namespace onymous::web
