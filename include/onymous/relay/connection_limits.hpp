#pragma once
// Every per-connection limit on what a client may send (PROTOCOL.md, Client
// → server): the message bucket, the join bucket and the per-pairing caps.
// Each check answers with the text of its refusal (empty when admitted), so
// that the session refuses in one line; the texts are human, fixed, and
// never carry the client's data. docs/protocol.md (Rate limits) lists them.

#include <onymous/config/config.hpp>
#include <onymous/protocol/messages.hpp>
#include <onymous/relay/pair_caps.hpp>
#include <onymous/relay/token_bucket.hpp>

#include <cstdint>
#include <string_view>

namespace onymous::relay {

inline constexpr std::string_view too_many_messages = "too many messages, slow down";
inline constexpr std::string_view too_many_joins = "too many join and next requests, slow down";
inline constexpr std::string_view too_many_offers = "too many offers and answers in this pairing";
inline constexpr std::string_view too_many_candidates = "too many candidates in this pairing";

class connection_limits {
public:
    using time_point = token_bucket::time_point;

    /// Both buckets start full at `now`; the rates and caps are the limits.* keys.
    connection_limits(const config::limits_settings& s, time_point now);

    /// Any client message, before it is parsed: one token of the message
    /// bucket.
    std::string_view admit_message(time_point now);
    /// `join` and `next`: one token of the join bucket as well.
    std::string_view admit_join(time_point now);
    /// A message about to be relayed in the current pairing.
    std::string_view admit_relay(const protocol::sdp_message& m);
    std::string_view admit_relay(const protocol::candidate_message& m);
    /// The sender's new pairing: the caps start over.
    void start_pairing() { caps_.start_pairing(); }

private:
    token_bucket messages_;
    token_bucket joins_;
    pair_caps caps_;
};

}  // namespace onymous::relay
