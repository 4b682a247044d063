#include <onymous/relay/relay_only.hpp>

#include <array>
#include <utility>

namespace onymous::relay {

namespace {

constexpr std::string_view blank_v4 = "0.0.0.0";
constexpr std::string_view blank_v6 = "::";

/// The space-separated fields of a line's value, one space each: n spaces
/// make n + 1 fields (some empty), so that joining them with single spaces
/// gives the value back byte for byte.
class fields {
public:
    explicit fields(std::string_view text) : text_(text) {}

    bool done() const { return done_; }
    /// Where the last field returned ends.
    std::size_t end() const { return end_; }

    std::string_view next() {
        const std::size_t space = text_.find(' ', pos_);
        const std::size_t stop = space == std::string_view::npos ? text_.size() : space;
        const std::string_view field = text_.substr(pos_, stop - pos_);
        end_ = stop;
        if (space == std::string_view::npos)
            done_ = true;
        else
            pos_ = space + 1;
        return field;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t end_ = 0;
    bool done_ = false;
};

/// `<nettype> <addrtype> <address>` of a c= line (or of a=rtcp: after its
/// port): appended with the address, and anything after it, blanked. A
/// value without those three fields cannot be told apart from a bare
/// address, so it becomes the blank IPv4 form.
void append_blank_connection(std::string_view value, std::string& out) {
    const std::size_t first = value.find(' ');
    const std::size_t second =
        first == std::string_view::npos ? std::string_view::npos : value.find(' ', first + 1);
    if (second == std::string_view::npos) {
        out += "IN IP4 ";
        out += blank_v4;
        return;
    }
    const std::string_view addrtype = value.substr(first + 1, second - first - 1);
    out.append(value.substr(0, second + 1));
    out += addrtype == "IP6" ? blank_v6 : blank_v4;
}

}  // namespace

relay_only_filter::relay_only_filter(address::network_set relay_networks)
    : relay_networks_(std::move(relay_networks)) {}

bool relay_only_filter::filter_candidate(std::string_view candidate, std::string& out) const {
    // RFC 8839: candidate:<foundation> <component> <transport> <priority>
    // <address> <port> typ <type> *(<name> <value>). Whatever these fields,
    // in exactly these places, do not show to be a relay candidate goes.
    fields in(candidate);
    std::array<std::string_view, 8> head;
    for (auto& field : head) {
        if (in.done()) return false;
        field = in.next();
    }
    if (!head[0].starts_with("candidate:") || head[6] != "typ" || head[7] != "relay") return false;
    if (!relay_networks_.empty()) {
        const auto address = address::parse_ip(head[4]);
        if (!address || !relay_networks_.contains(*address)) return false;
    }
    out.append(candidate.substr(0, in.end()));
    // Every field after the type is a name unless it is the value of raddr
    // or rport, which is replaced: so every raddr or rport left in the
    // output is followed by a blank.
    while (!in.done()) {
        const std::string_view name = in.next();
        out.push_back(' ');
        out.append(name);
        if (in.done()) break;
        if (name == "raddr") {
            const std::string_view value = in.next();
            out.push_back(' ');
            out += value.find(':') == std::string_view::npos ? blank_v4 : blank_v6;
        } else if (name == "rport") {
            in.next();
            out += " 0";
        }
    }
    return true;
}

bool relay_only_filter::filter_remote_candidates(std::string_view value, std::string& out) const {
    // Without relay networks nothing says an address is a relay's.
    if (relay_networks_.empty()) return false;
    fields in(value);
    bool kept = false;
    while (!in.done()) {
        const std::string_view component = in.next();
        if (in.done()) return kept;
        const std::string_view address = in.next();
        if (in.done()) return kept;
        const std::string_view port = in.next();
        const auto ip = address::parse_ip(address);
        if (!ip || !relay_networks_.contains(*ip)) continue;
        if (kept) out.push_back(' ');
        out.append(component);
        out.push_back(' ');
        out.append(address);
        out.push_back(' ');
        out.append(port);
        kept = true;
    }
    return kept;
}

void relay_only_filter::filter_sdp(std::string_view sdp, std::string& out) const {
    std::size_t pos = 0;
    while (pos < sdp.size()) {
        // A line is its value and its own ending (CRLF, LF, or none at the end).
        const std::size_t lf = sdp.find('\n', pos);
        const std::size_t next = lf == std::string_view::npos ? sdp.size() : lf + 1;
        std::size_t value_end = lf == std::string_view::npos ? sdp.size() : lf;
        if (value_end > pos && sdp[value_end - 1] == '\r') --value_end;
        const std::string_view line = sdp.substr(pos, value_end - pos);
        const std::string_view ending = sdp.substr(value_end, next - value_end);
        pos = next;

        if (line.starts_with("a=candidate")) {
            const std::size_t mark = out.size();
            out += "a=";
            if (filter_candidate(line.substr(2), out))
                out.append(ending);
            else
                out.resize(mark);
        } else if (line.starts_with("c=")) {
            out += "c=";
            append_blank_connection(line.substr(2), out);
            out.append(ending);
        } else if (line.starts_with("a=remote-candidates:")) {
            // RFC 8839: "<component> <address> <port>" triples naming the
            // candidates a controlling agent chose; non-browser stacks put
            // peer addresses here. Only triples provably on the operator's
            // relays stay; a line left with none goes.
            const std::size_t mark = out.size();
            out += "a=remote-candidates:";
            if (filter_remote_candidates(line.substr(20), out))
                out.append(ending);
            else
                out.resize(mark);
        } else if (line.starts_with("a=rtcp:")) {
            // a=rtcp:<port> [<nettype> <addrtype> <address>]
            const std::string_view value = line.substr(7);
            const std::size_t space = value.find(' ');
            out += "a=rtcp:";
            if (space == std::string_view::npos) {
                out.append(value);
            } else {
                out.append(value.substr(0, space + 1));
                append_blank_connection(value.substr(space + 1), out);
            }
            out.append(ending);
        } else {
            out.append(line);
            out.append(ending);
        }
    }
}

void relay_only_filter::apply(protocol::sdp_message& message) const {
    // One buffer per thread, kept between calls: after the first SDPs the
    // filter allocates nothing. It swaps with the message's, so it holds
    // whatever the last input needed (at most limits.max_sdp_bytes and a bit).
    thread_local std::string filtered;
    filtered.clear();
    filter_sdp(message.sdp, filtered);
    message.sdp.swap(filtered);
}

bool relay_only_filter::apply(protocol::candidate_message& message) const {
    if (message.is_end_of_candidates()) return true;
    thread_local std::string filtered;
    filtered.clear();
    if (!filter_candidate(message.candidate->candidate, filtered)) return false;
    message.candidate->candidate.swap(filtered);
    return true;
}

}  // namespace onymous::relay
