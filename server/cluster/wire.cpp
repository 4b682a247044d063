#include <onymous/cluster/wire.hpp>

#include <array>
#include <charconv>
#include <vector>

namespace onymous::cluster {

namespace {

constexpr std::size_t max_id_bytes = 64;
constexpr std::size_t max_fields = 6;

constexpr std::array<std::string_view, 3> pair_kind_names{"matched", "relay", "ended"};

std::string_view name_of(pair_kind k) { return pair_kind_names[static_cast<std::size_t>(k)]; }

std::optional<pair_kind> pair_kind_of(std::string_view name) {
    for (std::size_t i = 0; i < pair_kind_names.size(); ++i)
        if (pair_kind_names[i] == name) return static_cast<pair_kind>(i);
    return std::nullopt;
}

constexpr std::array<std::string_view, 4> bridge_kind_names{"frame", "text", "closed", "close"};

std::string_view name_of(bridge_kind k) { return bridge_kind_names[static_cast<std::size_t>(k)]; }

std::optional<bridge_kind> bridge_kind_of(std::string_view name) {
    for (std::size_t i = 0; i < bridge_kind_names.size(); ++i)
        if (bridge_kind_names[i] == name) return static_cast<bridge_kind>(i);
    return std::nullopt;
}

std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

/// The header's fields (at most max_fields) and where the payload starts.
struct header {
    std::array<std::string_view, max_fields> fields{};
    std::size_t count = 0;
    std::string_view payload;
};

std::optional<header> split(std::string_view bytes) {
    header out;
    const auto newline = bytes.find('\n');
    std::string_view line = bytes.substr(0, newline);
    if (newline != std::string_view::npos) out.payload = bytes.substr(newline + 1);
    while (!line.empty()) {
        if (out.count == max_fields) return std::nullopt;
        const auto space = line.find(' ');
        out.fields[out.count++] = line.substr(0, space);
        if (space == std::string_view::npos) break;
        line.remove_prefix(space + 1);
    }
    return out;
}

void append_number(std::string& out, std::uint64_t n) {
    out += ' ';
    out += std::to_string(n);
}

void append_id(std::string& out, std::string_view id) {
    out += ' ';
    out += id;
}

}  // namespace

bool is_wire_id(std::string_view id) {
    if (id.empty() || id.size() > max_id_bytes) return false;
    for (const char c : id) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string encode(const wire_message& m) {
    std::string out;
    out.reserve(48 + m.payload.size());
    switch (m.kind) {
    case wire_kind::pair_message:
        out += 'P';
        append_number(out, m.pair);
        append_number(out, m.seq);
        append_id(out, m.from);
        append_id(out, name_of(m.what));
        out += '\n';
        out += m.payload;
        break;
    case wire_kind::ack:
        out += 'A';
        append_number(out, m.pair);
        append_number(out, m.seq);
        append_id(out, m.from);
        break;
    case wire_kind::acks:
        out += 'C';
        append_id(out, m.from);
        out += '\n';
        for (std::size_t i = 0; i < m.acks.size(); ++i) {
            if (i != 0) out += ' ';
            out += std::to_string(m.acks[i].first);
            out += ':';
            out += std::to_string(m.acks[i].second);
        }
        break;
    case wire_kind::take_over:
        out += 'T';
        append_id(out, m.request);
        append_id(out, m.from);
        append_number(out, m.seq);
        append_number(out, m.expiry);
        out += '\n';
        out += m.payload;
        break;
    case wire_kind::session:
        out += 'S';
        append_id(out, m.request);
        append_id(out, m.from);
        break;
    case wire_kind::take_over_failed:
        out += 'F';
        append_id(out, m.request);
        append_id(out, m.from);
        break;
    case wire_kind::bridge_message:
        out += 'B';
        append_id(out, m.request);
        append_number(out, m.seq);
        append_id(out, m.from);
        append_id(out, name_of(m.part));
        out += '\n';
        out += m.payload;
        break;
    case wire_kind::bridge_ack:
        out += 'K';
        append_id(out, m.request);
        append_number(out, m.seq);
        append_id(out, m.from);
        break;
    case wire_kind::heartbeat:
        out += 'H';
        append_id(out, m.from);
        append_id(out, m.other);
        break;
    case wire_kind::abuse_events:
        out += 'E';
        append_id(out, m.from);
        out += '\n';
        out += m.payload;
        break;
    }
    return out;
}

std::optional<wire_message> decode(std::string_view bytes) {
    const auto h = split(bytes);
    if (!h || h->count == 0 || h->fields[0].size() != 1) return std::nullopt;
    const auto& f = h->fields;
    wire_message m;
    const auto ids_ok = [&](std::initializer_list<std::size_t> at) {
        for (const auto i : at)
            if (!is_wire_id(f[i])) return false;
        return true;
    };
    switch (f[0][0]) {
    case 'P': {
        if (h->count != 5 || !ids_ok({3})) return std::nullopt;
        const auto pair = number(f[1]);
        const auto seq = number(f[2]);
        const auto what = pair_kind_of(f[4]);
        if (!pair || !seq || !what) return std::nullopt;
        m.kind = wire_kind::pair_message;
        m.pair = *pair;
        m.seq = *seq;
        m.from = f[3];
        m.what = *what;
        m.payload = h->payload;
        return m;
    }
    case 'A': {
        if (h->count != 4 || !ids_ok({3})) return std::nullopt;
        const auto pair = number(f[1]);
        const auto seq = number(f[2]);
        if (!pair || !seq) return std::nullopt;
        m.kind = wire_kind::ack;
        m.pair = *pair;
        m.seq = *seq;
        m.from = f[3];
        return m;
    }
    case 'C': {
        if (h->count != 2 || !ids_ok({1})) return std::nullopt;
        m.kind = wire_kind::acks;
        m.from = f[1];
        // pair:seq items, one space apart, at least one.
        std::string_view rest = h->payload;
        for (;;) {
            const auto space = rest.find(' ');
            const auto item = rest.substr(0, space);
            const auto colon = item.find(':');
            if (colon == std::string_view::npos) return std::nullopt;
            const auto pair = number(item.substr(0, colon));
            const auto seq = number(item.substr(colon + 1));
            if (!pair || !seq) return std::nullopt;
            m.acks.emplace_back(*pair, *seq);
            if (space == std::string_view::npos) return m;
            rest.remove_prefix(space + 1);
        }
    }
    case 'T': {
        if (h->count != 5 || !ids_ok({1, 2})) return std::nullopt;
        const auto last_seq = number(f[3]);
        const auto expiry = number(f[4]);
        if (!last_seq || !expiry) return std::nullopt;
        m.kind = wire_kind::take_over;
        m.request = f[1];
        m.from = f[2];
        m.seq = *last_seq;
        m.expiry = *expiry;
        m.payload = h->payload;
        return m;
    }
    case 'S':
        if (h->count != 3 || !ids_ok({1, 2})) return std::nullopt;
        m.kind = wire_kind::session;
        m.request = f[1];
        m.from = f[2];
        return m;
    case 'F':
        if (h->count != 3 || !ids_ok({1, 2})) return std::nullopt;
        m.kind = wire_kind::take_over_failed;
        m.request = f[1];
        m.from = f[2];
        return m;
    case 'B': {
        if (h->count != 5 || !ids_ok({1, 3})) return std::nullopt;
        const auto seq = number(f[2]);
        const auto part = bridge_kind_of(f[4]);
        if (!seq || !part) return std::nullopt;
        m.kind = wire_kind::bridge_message;
        m.request = f[1];
        m.seq = *seq;
        m.from = f[3];
        m.part = *part;
        m.payload = h->payload;
        return m;
    }
    case 'K': {
        if (h->count != 4 || !ids_ok({1, 3})) return std::nullopt;
        const auto seq = number(f[2]);
        if (!seq) return std::nullopt;
        m.kind = wire_kind::bridge_ack;
        m.request = f[1];
        m.seq = *seq;
        m.from = f[3];
        return m;
    }
    case 'H':
        if (h->count != 3 || !ids_ok({1, 2})) return std::nullopt;
        m.kind = wire_kind::heartbeat;
        m.from = f[1];
        m.other = f[2];
        return m;
    case 'E':
        if (h->count != 2 || !ids_ok({1})) return std::nullopt;
        m.kind = wire_kind::abuse_events;
        m.from = f[1];
        m.payload = h->payload;
        return m;
    default: return std::nullopt;
    }
}

std::string encode(const pairing_note& n) {
    std::string out = n.claimer + ' ' + n.member + ' ' + std::to_string(n.ticket) + ' ' +
                      std::string(protocol::to_string(n.role));
    for (const auto& h : n.common_hashes) out += ' ' + h;
    return out;
}

std::optional<pairing_note> decode_note(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t at = 0;
    while (at <= text.size()) {
        auto end = text.find(' ', at);
        if (end == std::string_view::npos) end = text.size();
        words.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    if (words.size() < 4) return std::nullopt;
    for (auto w : words)
        if (!is_wire_id(w)) return std::nullopt;
    pairing_note out;
    out.claimer = words[0];
    out.member = words[1];
    const auto* end = words[2].data() + words[2].size();
    auto [ptr, ec] = std::from_chars(words[2].data(), end, out.ticket);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    if (words[3] == "offerer")
        out.role = protocol::role::offerer;
    else if (words[3] == "answerer")
        out.role = protocol::role::answerer;
    else
        return std::nullopt;
    for (std::size_t i = 4; i < words.size(); ++i) out.common_hashes.emplace_back(words[i]);
    return out;
}

}  // namespace onymous::cluster
