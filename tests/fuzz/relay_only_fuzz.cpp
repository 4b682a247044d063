// libFuzzer target for relay-only mode's line filter (relay/relay_only),
// built by tests/fuzz/CMakeLists.txt. Each input is filtered as an SDP and
// as one candidate, with and without relay networks. Besides crashes and
// sanitizer reports it checks properties:
//  - the output holds no candidate line that is not a relay candidate (inside
//    the relay networks when there are some), no raddr/rport that is not
//    blank, no c= or a=rtcp: address that is not blank, and no
//    a=remote-candidates line but with triples inside the relay networks
//    (none at all without them);
//  - every other line is the input's, byte for byte and in order, and as
//    many c= and a=rtcp: lines come out as went in;
//  - filtering the output again gives it back (idempotent);
//  - an SDP that passes the protocol's grammar still does once filtered;
//  - a candidate message and the same candidate as an SDP line get the same
//    answer, and relay networks only ever remove candidates.
#include <onymous/protocol/parse.hpp>
#include <onymous/relay/relay_only.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace onymous;

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

const relay::relay_only_filter any_relay;
const address::network_set networks({"198.51.100.0/24", "2001:db8:ffff::/48", "10.0.0.0/8"});
const relay::relay_only_filter operator_relays{networks};

std::vector<std::string_view> split(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t space = text.find(' ', start);
        if (space == std::string_view::npos) {
            out.push_back(text.substr(start));
            return out;
        }
        out.push_back(text.substr(start, space - start));
        start = space + 1;
    }
}

bool is_blank_address(std::string_view address) { return address == "0.0.0.0" || address == "::"; }

/// A candidate the filter may let through: relay, blank raddr and rport.
void check_kept_candidate(std::string_view candidate, bool with_networks) {
    const auto fields = split(candidate);
    require(fields.size() >= 8);
    require(fields[0].starts_with("candidate:") && fields[6] == "typ" && fields[7] == "relay");
    if (with_networks) {
        const auto address = address::parse_ip(fields[4]);
        require(address && networks.contains(*address));
    }
    for (std::size_t i = 8; i + 1 < fields.size(); ++i) {
        if (fields[i] == "raddr") require(is_blank_address(fields[i + 1]));
        if (fields[i] == "rport") require(fields[i + 1] == "0");
    }
}

/// `<nettype> <addrtype> <blank>`, the blank of the address type.
void check_blank_connection(std::string_view value) {
    const auto fields = split(value);
    require(fields.size() == 3);
    require(fields[2] == (fields[1] == "IP6" ? "::" : "0.0.0.0"));
}

struct line {
    std::string_view value;
    std::string_view ending;
};

std::vector<line> lines_of(std::string_view sdp) {
    std::vector<line> out;
    std::size_t pos = 0;
    while (pos < sdp.size()) {
        const std::size_t lf = sdp.find('\n', pos);
        const std::size_t next = lf == std::string_view::npos ? sdp.size() : lf + 1;
        std::size_t end = lf == std::string_view::npos ? sdp.size() : lf;
        if (end > pos && sdp[end - 1] == '\r') --end;
        out.push_back({sdp.substr(pos, end - pos), sdp.substr(end, next - end)});
        pos = next;
    }
    return out;
}

enum class kind { candidate, connection, rtcp, remote_candidates, other };

kind kind_of(std::string_view value) {
    if (value.starts_with("a=candidate")) return kind::candidate;
    if (value.starts_with("a=remote-candidates:")) return kind::remote_candidates;
    if (value.starts_with("c=")) return kind::connection;
    if (value.starts_with("a=rtcp:")) return kind::rtcp;
    return kind::other;
}

void check_sdp(const relay::relay_only_filter& filter, bool with_networks, std::string_view in) {
    std::string out;
    filter.filter_sdp(in, out);
    std::string again;
    filter.filter_sdp(out, again);
    require(again == out);

    std::vector<line> untouched_in;
    std::size_t connections_in = 0;
    std::size_t rtcp_in = 0;
    for (const line& l : lines_of(in)) {
        switch (kind_of(l.value)) {
        case kind::connection: ++connections_in; break;
        case kind::rtcp: ++rtcp_in; break;
        case kind::other: untouched_in.push_back(l); break;
        case kind::candidate:
        case kind::remote_candidates: break;
        }
    }
    std::size_t untouched = 0;
    std::size_t connections_out = 0;
    std::size_t rtcp_out = 0;
    for (const line& l : lines_of(out)) {
        switch (kind_of(l.value)) {
        case kind::candidate: check_kept_candidate(l.value.substr(2), with_networks); break;
        case kind::connection:
            ++connections_out;
            check_blank_connection(l.value.substr(2));
            break;
        case kind::rtcp: {
            ++rtcp_out;
            const std::string_view value = l.value.substr(7);
            const std::size_t space = value.find(' ');
            if (space != std::string_view::npos) check_blank_connection(value.substr(space + 1));
            break;
        }
        case kind::remote_candidates: {
            // Only "<component> <address> <port>" triples on the relays.
            require(with_networks);
            const auto fields = split(l.value.substr(20));
            require(!fields.empty() && fields.size() % 3 == 0);
            for (std::size_t i = 1; i < fields.size(); i += 3) {
                const auto address = address::parse_ip(fields[i]);
                require(address && networks.contains(*address));
            }
            break;
        }
        case kind::other:
            require(untouched < untouched_in.size());
            require(l.value == untouched_in[untouched].value);
            require(l.ending == untouched_in[untouched].ending);
            ++untouched;
            break;
        }
    }
    require(untouched == untouched_in.size());
    require(connections_out == connections_in && rtcp_out == rtcp_in);

    // The filter keeps what the protocol accepted acceptable.
    constexpr std::size_t unbounded = 1 << 20;
    if (protocol::check_sdp_grammar(in, unbounded).empty())
        require(protocol::check_sdp_grammar(out, unbounded).empty());
}

/// Filters one candidate into `out`; true when it is kept.
bool check_candidate(const relay::relay_only_filter& filter, bool with_networks,
                     std::string_view in, std::string& out) {
    const bool kept = filter.filter_candidate(in, out);
    if (!kept) {
        require(out.empty());
    } else {
        check_kept_candidate(out, with_networks);
        std::string again;
        require(filter.filter_candidate(out, again) && again == out);
    }
    // The same candidate as an SDP line (when it is one line) is treated alike.
    if (in.find('\n') == std::string_view::npos && !in.ends_with('\r') &&
        in.starts_with("candidate")) {
        std::string sdp_line;
        filter.filter_sdp("a=" + std::string(in) + "\r\n", sdp_line);
        require(sdp_line == (kept ? "a=" + out + "\r\n" : std::string()));
    }
    return kept;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_sdp(any_relay, false, text);
    check_sdp(operator_relays, true, text);

    std::string any_out;
    std::string operator_out;
    const bool any_kept = check_candidate(any_relay, false, text, any_out);
    const bool operator_kept = check_candidate(operator_relays, true, text, operator_out);
    // Relay networks only ever remove candidates; what they keep is the same.
    if (operator_kept) require(any_kept && operator_out == any_out);
    return 0;
}
