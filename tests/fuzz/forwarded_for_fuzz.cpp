// libFuzzer target for X-Forwarded-For (tests/fuzz/CMakeLists.txt, docs/testing.md).
// The input is text, one item per line:
//   the peer's address (an IP literal)
//   the trusted networks, CIDRs separated by spaces (those that do not parse are left out)
//   X-Forwarded-For header lines, one per line (none, one or several)
// Only what Beast lets through is fuzzed: it refuses control characters other than HTAB
// in header values, so inputs with any are skipped. Besides crashes and sanitizer reports
// it checks:
// - the result is the peer or an address written in the header; an untrusted peer is the
//   result; a trusted result means that every examined entry was trusted or the walk
//   stopped at garbage; and the result is exactly forwarded_for.hpp's rule, walked here
//   from the right over the entries (empty list elements skipped, RFC 9110 5.6.1);
// - parse_forwarded_entry() reads an entry as its address, ignoring white space and a port;
// - parse_ip() agrees with inet_pton, parse_network() clears host bits and
//   network::contains() / network_set::contains() are a prefix comparison.
#include <onymous/address/forwarded_for.hpp>
#include <onymous/address/ip.hpp>
#include <onymous/address/network.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace onymous::address;

namespace {

void require(bool condition, const char* property) {
    if (!condition) {
        std::fprintf(stderr, "property broken: %s\n", property);
        std::abort();
    }
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (;;) {
        const auto end = text.find(separator);
        parts.push_back(text.substr(0, end));
        if (end == std::string_view::npos) return parts;
        text.remove_prefix(end + 1);
    }
}

std::string_view trim(std::string_view text) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

// What parse_ip() must return: inet_pton's reading.
std::optional<ip> reference_ip(std::string_view text) {
    const std::string terminated(text);
    std::array<std::uint8_t, 4> v4{};
    if (inet_pton(AF_INET, terminated.c_str(), v4.data()) == 1) return from_v4_bytes(v4);
    std::array<std::uint8_t, 16> v6{};
    if (inet_pton(AF_INET6, terminated.c_str(), v6.data()) == 1) return from_v6_bytes(v6);
    return std::nullopt;
}

std::optional<ip> checked_parse_ip(std::string_view text) {
    const auto parsed = parse_ip(text);
    require(parsed == reference_ip(text), "parse_ip() reads as inet_pton does");
    if (parsed) {
        constexpr std::array<std::uint8_t, 12> mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        require(parsed->is_v4() == std::equal(mapped.begin(), mapped.end(), parsed->bytes.begin()),
                "is_v4() is the IPv4-mapped prefix");
        require(parsed->is_v4() || text.find(':') != std::string_view::npos,
                "an IPv4 literal is held IPv4-mapped");
        const ip key = limit_key_of(*parsed);
        if (parsed->is_v4()) {
            require(key == *parsed, "an IPv4 address is its own limit key");
        } else {
            require(std::equal(key.bytes.begin(), key.bytes.begin() + 8, parsed->bytes.begin()) &&
                        std::all_of(key.bytes.begin() + 8, key.bytes.end(),
                                    [](std::uint8_t b) { return b == 0; }),
                    "an IPv6 limit key is its /64");
        }
    }
    return parsed;
}

bool prefix_matches(const ip& base, const ip& address, unsigned prefix) {
    for (unsigned bit = 0; bit < prefix; ++bit) {
        const unsigned mask = 0x80U >> (bit % 8);
        if ((base.bytes[bit / 8] & mask) != (address.bytes[bit / 8] & mask)) return false;
    }
    return true;
}

bool host_bits_clear(const network& n) {
    for (unsigned bit = n.prefix; bit < 128; ++bit) {
        if ((n.base.bytes[bit / 8] & (0x80U >> (bit % 8))) != 0) return false;
    }
    return true;
}

std::optional<network> checked_parse_network(std::string_view cidr) {
    const auto parsed = parse_network(cidr);
    const auto slash = cidr.find('/');
    if (slash != std::string_view::npos) (void)checked_parse_ip(cidr.substr(0, slash));
    if (!parsed) {
        bool threw = false;
        try {
            const network_set refused({std::string(cidr)});
        } catch (const std::invalid_argument&) {
            threw = true;
        }
        require(threw, "network_set refuses what parse_network() refuses");
        return parsed;
    }
    require(slash != std::string_view::npos, "a network has a prefix length");
    const bool v4 = cidr.substr(0, slash).find(':') == std::string_view::npos;
    require(parsed->prefix <= 128 && (!v4 || (parsed->prefix >= 96 && parsed->base.is_v4())),
            "an IPv4 prefix counts from the mapped prefix");
    require(host_bits_clear(*parsed), "host bits past the prefix are cleared");
    require(parsed->contains(parsed->base), "a network contains its base");
    return parsed;
}

// Where the walk of forwarded_for.hpp ends.
struct walk {
    ip client;
    bool all_examined_trusted = true;
    bool stopped_at_garbage = false;
};

walk reference_walk(const ip& peer, const std::vector<std::string_view>& lines,
                    const network_set& trusted) {
    walk w{peer};
    if (!trusted.contains(peer)) return w;
    std::vector<std::string_view> entries;
    for (const auto line : lines) {
        for (const auto element : split(line, ',')) {
            if (!trim(element).empty()) entries.push_back(element);
        }
    }
    std::size_t examined = 0;
    for (auto entry = entries.rbegin(); entry != entries.rend(); ++entry) {
        if (examined++ == max_forwarded_entries) break;
        const auto address = parse_forwarded_entry(*entry);
        if (!address) {
            w.stopped_at_garbage = true;
            break;
        }
        w.client = *address;
        if (!trusted.contains(*address)) {
            w.all_examined_trusted = false;
            break;
        }
    }
    return w;
}

// One entry, and the addresses written in it.
void check_entry(std::string_view entry, std::vector<ip>& written) {
    const auto parsed = parse_forwarded_entry(entry);
    const std::string_view text = trim(entry);
    const auto whole = checked_parse_ip(text);
    if (whole) require(parsed == whole, "an entry that is an address is that address");
    std::vector<ip> candidates;
    if (whole) candidates.push_back(*whole);
    if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
        if (const auto host = checked_parse_ip(text.substr(0, colon))) candidates.push_back(*host);
    }
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (const auto host = checked_parse_ip(text.substr(1, close - 1))) {
            candidates.push_back(*host);
        }
    }
    if (parsed) {
        require(std::find(candidates.begin(), candidates.end(), *parsed) != candidates.end(),
                "an entry's address is written in it, beside a port at most");
        written.push_back(*parsed);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const bool beast_would_pass = std::none_of(input.begin(), input.end(), [](char c) {
        return (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') || c == 0x7F;
    });
    if (!beast_would_pass) return -1;  // not added to the corpus

    std::vector<std::string_view> lines = split(input, '\n');
    const auto peer = checked_parse_ip(lines[0]);
    std::vector<std::string> cidrs;
    std::vector<network> networks;
    if (lines.size() > 1) {
        for (const auto cidr : split(lines[1], ' ')) {
            if (const auto parsed = checked_parse_network(cidr)) {
                cidrs.emplace_back(cidr);
                networks.push_back(*parsed);
            }
        }
    }
    const network_set trusted(cidrs);
    require(trusted.empty() == cidrs.empty(), "network_set holds what it was given");
    lines.erase(lines.begin(), lines.begin() + std::min<std::size_t>(lines.size(), 2));

    std::vector<ip> written;
    for (const auto line : lines) {
        for (const auto element : split(line, ',')) check_entry(element, written);
    }
    if (peer) written.push_back(*peer);
    for (const ip& address : written) {
        bool inside = false;
        for (const network& n : networks) {
            require(n.contains(address) == prefix_matches(n.base, address, n.prefix),
                    "network::contains() is a prefix comparison");
            inside = inside || n.contains(address);
        }
        require(trusted.contains(address) == inside, "network_set::contains() is any network's");
    }
    if (!peer) return 0;

    const ip client = client_behind_proxies(*peer, lines, trusted);
    require(std::find(written.begin(), written.end(), client) != written.end(),
            "the client is the peer or an address written in the header");
    if (!trusted.contains(*peer)) require(client == *peer, "an untrusted peer is the client");
    const walk expected = reference_walk(*peer, lines, trusted);
    if (trusted.contains(client)) {
        require(expected.all_examined_trusted || expected.stopped_at_garbage,
                "a trusted client only when every entry examined was trusted or garbage ended "
                "the walk");
    }
    require(client == expected.client, "the client is the one forwarded_for.hpp's rule names");
    return 0;
}
