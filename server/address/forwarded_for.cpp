#include <onymous/address/forwarded_for.hpp>

#include <algorithm>

namespace onymous::address {

namespace {

std::string_view trim(std::string_view text) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

/// A port: 1 to 5 digits, at most 65535.
bool is_port(std::string_view text) {
    if (text.empty() || text.size() > 5 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    unsigned value = 0;
    for (const char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
    return value <= 65535;
}

/// Calls `visit(entry)` for each comma-separated entry of the lines, from
/// the last line's last entry to the first line's first, until it returns
/// false or `limit` entries have been visited.
template <class Visit>
void for_each_from_right(std::span<const std::string_view> lines, std::size_t limit, Visit visit) {
    std::size_t visited = 0;
    for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
        std::string_view rest = *line;
        for (;;) {
            const auto comma = rest.rfind(',');
            const std::string_view entry =
                trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
            // Empty list elements are allowed and skipped (RFC 9110, 5.6.1).
            if (!entry.empty()) {
                if (visited++ == limit || !visit(entry)) return;
            }
            if (comma == std::string_view::npos) break;
            rest = rest.substr(0, comma);
        }
    }
}

}  // namespace

std::optional<ip> parse_forwarded_entry(std::string_view entry) {
    entry = trim(entry);
    if (entry.starts_with('[')) {
        const auto close = entry.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        // Brackets are for IPv6 only.
        if (entry.substr(1, close - 1).find(':') == std::string_view::npos) return std::nullopt;
        const std::string_view after = entry.substr(close + 1);
        if (!after.empty() && !(after.front() == ':' && is_port(after.substr(1))))
            return std::nullopt;
        return parse_ip(entry.substr(1, close - 1));
    }
    // One colon: IPv4 with a port. More: a bare IPv6 address.
    const auto colon = entry.find(':');
    if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
        if (!is_port(entry.substr(colon + 1))) return std::nullopt;
        entry = entry.substr(0, colon);
        if (entry.find('.') == std::string_view::npos) return std::nullopt;
    }
    return parse_ip(entry);
}

ip client_behind_proxies(const ip& peer, std::span<const std::string_view> header_lines,
                         const network_set& trusted) {
    if (!trusted.contains(peer)) return peer;
    ip client = peer;  // the last trusted hop passed
    for_each_from_right(header_lines, max_forwarded_entries, [&](std::string_view entry) {
        const auto address = parse_forwarded_entry(entry);
        if (!address) return false;  // left of garbage nothing is believed
        client = *address;
        return trusted.contains(*address);
    });
    return client;
}

}  // namespace onymous::address
