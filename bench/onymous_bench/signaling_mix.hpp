#pragma once
// The messages the generator sends: a video offer and answer of about
// 2.2 KB each and 4 trickled candidates each way, in the onymous protocol
// (PROTOCOL.md) or the PeerJS server's (src/dst/payload). The SDPs follow the
// protocol's grammar (v=0, <letter>=<value> lines ended by CRLF, nothing
// else) and carry no a=candidate lines, as trickling browsers send them, so
// relay-only scrubbing leaves them unchanged. No text built here is ever
// printed: SDP and candidates stay out of every output.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace onymous::bench {

/// Which server's protocol the generator speaks.
enum class dialect { onymous, peerjs };

/// One round of the mix, in order: step s is sent by the offerer when s is
/// even, by the answerer when it is odd.
inline constexpr std::size_t mix_steps = 10;

enum class mix_kind { offer, answer, candidate };

constexpr mix_kind kind_of_step(std::size_t step) {
    return step == 0 ? mix_kind::offer : step == 1 ? mix_kind::answer : mix_kind::candidate;
}
constexpr bool offerer_sends(std::size_t step) { return step % 2 == 0; }

/// The bodies shared by both dialects, built once.
struct mix_bodies {
    std::string offer_sdp;
    std::string answer_sdp;
    /// Candidate lines ("candidate:..."), 4 for each side.
    std::array<std::string, 4> offerer_candidates;
    std::array<std::string, 4> answerer_candidates;
};

/// SDPs of `sdp_bytes` bytes each (clamped to 1200..32000). With
/// `relay_only`, every candidate is of type relay (what a relay-only server
/// relays); otherwise host, srflx and two relay candidates. A `node` >= 0
/// goes into both SDPs as an `a=x-bench-node:` line (same size in all), so
/// that a client learns its partner's node from the offer or answer.
mix_bodies make_mix_bodies(std::size_t sdp_bytes, bool relay_only, int node = -1);

/// The node an offer or answer of make_mix_bodies() names; -1 when none.
int node_mark(std::string_view text);

/// The texts of one direction of a pair, ready to send: index s is the text
/// of step s when this side sends it (the other steps are empty).
struct side_texts {
    std::array<std::string, mix_steps> step;
};

/// Onymous: {"type":"offer","sdp":…} etc. Identical for every pair.
side_texts onymous_texts(const mix_bodies& bodies, bool offerer);

/// PeerJS: {"type":"OFFER","payload":{…},"dst":<peer id>}, as peerjs-client's
/// negotiator sends it (a media connection).
side_texts peerjs_texts(const mix_bodies& bodies, bool offerer, std::string_view peer_id,
                        std::string_view connection_id);

/// The first string field named `key` of a server message, found without
/// parsing; empty when there is none. The servers write "type" first, so
/// this is the top-level type even when the payload has one too.
std::string_view string_field(std::string_view text, std::string_view key);
inline std::string_view message_type(std::string_view text) { return string_field(text, "type"); }

/// The JSON string escape of `value`, quotes included.
std::string json_quote(std::string_view value);

}  // namespace onymous::bench
