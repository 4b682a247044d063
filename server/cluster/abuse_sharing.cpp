#include <onymous/cluster/abuse_sharing.hpp>

#include <onymous/text/codecs.hpp>

#include <charconv>

namespace onymous::cluster {

namespace {

void append_hex(std::string& out, std::uint64_t value) {
    char buf[16];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, 16);
    out.append(buf, end);
}

std::optional<std::uint64_t> hex_number(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty() || text.size() > 16) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> two_hex(std::string_view text, char sep) {
    const auto at = text.find(sep);
    if (at == std::string_view::npos) return std::nullopt;
    const auto a = hex_number(text.substr(0, at));
    const auto b = hex_number(text.substr(at + 1));
    if (!a || !b) return std::nullopt;
    return std::pair{*a, *b};
}

}  // namespace

std::string encode_events(std::span<const abuse_event> events) {
    std::string out;
    out.reserve(events.size() * 36);
    for (const auto& e : events) {
        if (!out.empty()) out += '\n';
        if (e.what == abuse_event::kind::skip) {
            out += "s ";
            append_hex(out, e.address);
        } else {
            out += "r ";
            append_hex(out, e.address);
            out += ' ';
            append_hex(out, e.reported);
        }
    }
    return out;
}

std::optional<std::vector<abuse_event>> decode_events(std::string_view payload) {
    std::vector<abuse_event> out;
    while (!payload.empty()) {
        const auto newline = payload.find('\n');
        const std::string_view line = payload.substr(0, newline);
        payload =
            newline == std::string_view::npos ? std::string_view{} : payload.substr(newline + 1);
        if (line.size() < 3 || line[1] != ' ') return std::nullopt;
        const std::string_view rest = line.substr(2);
        if (line[0] == 's') {
            const auto a = hex_number(rest);
            if (!a) return std::nullopt;
            out.push_back({abuse_event::kind::skip, *a, 0});
        } else if (line[0] == 'r') {
            const auto ab = two_hex(rest, ' ');
            if (!ab) return std::nullopt;
            out.push_back({abuse_event::kind::report, ab->first, ab->second});
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::string log_member(std::uint64_t reporter, std::uint64_t reported) {
    std::string out;
    append_hex(out, reporter);
    out += ':';
    append_hex(out, reported);
    return out;
}

std::optional<abuse_event> parse_log_member(std::string_view member) {
    const auto ab = two_hex(member, ':');
    if (!ab) return std::nullopt;
    return abuse_event{abuse_event::kind::report, ab->first, ab->second};
}

std::string encode_address_key(std::int64_t day, const address::hash_key& key) {
    return std::to_string(day) + ' ' + text::to_hex(key);
}

std::optional<std::pair<std::int64_t, address::hash_key>> decode_address_key(
    std::string_view stored) {
    const auto space = stored.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    std::int64_t day = 0;
    const auto [end, ec] = std::from_chars(stored.data(), stored.data() + space, day);
    if (ec != std::errc() || end != stored.data() + space || day < 0) return std::nullopt;
    address::hash_key key{};
    if (!text::from_hex(stored.substr(space + 1), key)) return std::nullopt;
    return std::pair{day, key};
}

std::string_view address_key_script() {
    // The day is the number before the space; string.match keeps it exact.
    return R"lua(
local stored = redis.call('GET', KEYS[1])
local function day(v) return tonumber(string.match(v, '^(%d+) ')) end
if not stored or (ARGV[2] == '1' and day(ARGV[1]) > day(stored)) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return ARGV[1]
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return stored
)lua";
}

std::chrono::milliseconds report_log_span(std::chrono::milliseconds report_window,
                                          std::chrono::milliseconds shadow_duration) {
    return report_window + shadow_duration;
}

}  // namespace onymous::cluster
