#pragma once
// Comma-separated header values (Upgrade, Sec-WebSocket-Protocol): a header
// may carry several tokens, and a request several lines of one header,
// which count as one list (RFC 9110, 5.3).

#include <string_view>

namespace onymous::net {

enum class token_case : bool { sensitive, insensitive };

/// True when the comma-separated `list` holds `token` (optional white space
/// around each element ignored).
inline bool lists_token(std::string_view list, std::string_view token, token_case c) {
    const auto same = [c](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            char x = a[i], y = b[i];
            if (c == token_case::insensitive) {
                if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
                if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
            }
            if (x != y) return false;
        }
        return true;
    };
    while (!list.empty()) {
        const auto comma = list.find(',');
        auto element = list.substr(0, comma);
        while (!element.empty() && (element.front() == ' ' || element.front() == '\t'))
            element.remove_prefix(1);
        while (!element.empty() && (element.back() == ' ' || element.back() == '\t'))
            element.remove_suffix(1);
        if (same(element, token)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

/// True when any line of header `field` in `message` lists `token`.
template <class Message, class Field>
bool header_lists_token(const Message& message, Field field, std::string_view token, token_case c) {
    for (auto it = message.find(field); it != message.end() && it->name() == field; ++it)
        if (lists_token(it->value(), token, c)) return true;
    return false;
}

}  // namespace onymous::net
