#pragma once
// Relay-only mode (PROTOCOL.md, Relay guarantees): what of a client's SDP
// and candidates may reach its partner when every connection must go
// through the operator's TURN relays. The only place the server rewrites
// SDP; one pure line filter:
//  - a candidate whose type is not `relay` is removed (an `a=candidate`
//    line from SDP, a `candidate` message altogether); with relay networks,
//    so is a relay candidate whose address is outside them;
//  - a relay candidate that stays has its related address blanked:
//    `raddr 0.0.0.0 rport 0` (`raddr ::` when it was IPv6);
//  - the address of every `c=` and `a=rtcp:` line is blanked to `0.0.0.0`
//    (`::` for IP6);
//  - an `a=remote-candidates:` line (RFC 8839) keeps only the triples whose
//    address is inside the relay networks, and goes when none is left (or
//    when there are no relay networks: nothing then proves an address is a
//    relay's);
//  - every other byte, line endings included, is left as it was.
// Filtering the output again changes nothing. Fuzzed by
// tests/fuzz/relay_only_fuzz.cpp; docs/privacy.md says what it protects.

#include <onymous/address/ip.hpp>
#include <onymous/address/network.hpp>
#include <onymous/protocol/messages.hpp>

#include <string>
#include <string_view>

namespace onymous::relay {

class relay_only_filter {
public:
    /// Every relay candidate is kept, whatever its address.
    relay_only_filter() = default;
    /// Relay candidates whose address is outside `relay_networks` are
    /// dropped too (an empty set keeps them all).
    explicit relay_only_filter(address::network_set relay_networks);

    /// Appends `sdp`, filtered, to `out`, which it does not clear: one pass,
    /// no allocation but `out`'s own growth (reuse it).
    void filter_sdp(std::string_view sdp, std::string& out) const;

    /// One candidate attribute, `candidate:…` as in a candidate message or
    /// after an SDP line's `a=`: appends it with its related address blanked
    /// and returns true, or returns false, appending nothing, when it must
    /// not be relayed (not relay, outside the relay networks, malformed).
    bool filter_candidate(std::string_view candidate, std::string& out) const;

    /// filter_sdp() on a validated offer or answer, in place.
    void apply(protocol::sdp_message& message) const;
    /// filter_candidate() on a validated candidate message, in place; false
    /// when it must be dropped (silently: PROTOCOL.md, Error codes).
    /// End-of-candidates passes unchanged.
    bool apply(protocol::candidate_message& message) const;

private:
    /// The value of an a=remote-candidates line: appends what may stay and
    /// returns true, or false when nothing may.
    bool filter_remote_candidates(std::string_view value, std::string& out) const;

    address::network_set relay_networks_;
};

}  // namespace onymous::relay
