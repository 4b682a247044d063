#pragma once
// Building server -> client messages. Every relayed message is rebuilt here
// from validated fields only. Sequenced messages get their "seq" added by the
// receiving session when it sends them (see session/signaling_session.hpp).

#include <onymous/abuse/proof_of_work.hpp>
#include <onymous/config/config.hpp>
#include <onymous/protocol/messages.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::protocol {

/// A server message before it is given its seq: an ordered JSON object so
/// that "type" comes first on the wire.
using json = nlohmann::ordered_json;

struct ice_server {
    std::vector<std::string> urls;
    std::string username;    ///< empty = omitted (STUN)
    std::string credential;  ///< empty = omitted (STUN)
};

/// `limits` and `max_interests` (matching.max_interests) give hello.limits.
json make_hello(const std::string& resume_token, const std::vector<ice_server>& ice_servers,
                bool relay_only, const config::limits_settings& limits,
                std::uint64_t max_interests);
/// The same with the proof-of-work challenge in force ("challenge").
json make_hello(const std::string& resume_token, const std::vector<ice_server>& ice_servers,
                bool relay_only, const config::limits_settings& limits, std::uint64_t max_interests,
                const std::optional<abuse::challenge>& challenge);
/// {"prefix","bits","count","expiresMs"}, as hello and waiting carry it.
json challenge_json(const abuse::challenge& c);
json make_matched(role r, const std::vector<std::string>& common_interests);
/// `matched` that also hands out fresher TURN credentials ("iceServers" is
/// left out when `fresh_ice_servers` is empty).
json make_matched(role r, const std::vector<std::string>& common_interests,
                  const std::vector<ice_server>& fresh_ice_servers);
json make_sdp(const sdp_message& message);
json make_candidate(const candidate_message& message);
json make_partner_left();
json make_left();
json make_draining();
json make_pong();
json make_reported();
/// "ref" is left out when `ref` is empty (the refused message's type was unknown).
json make_error(error_code code, std::string_view message, std::string_view ref);
/// The same with "retryAfterMs" (suspended, the skip throttle's rate_limited).
json make_error(error_code code, std::string_view message, std::string_view ref,
                std::chrono::milliseconds retry_after);
/// Answer to a successful resume; "role" is given only with a value (paired).
json make_resumed(session_state state, std::optional<role> r, const std::string& new_token);

/// Adds "seq" and serialises: the wire text of a sequenced message.
std::string finish(json message, std::uint64_t seq);
/// Serialises an unsequenced message (hello, pong, reported, error, resumed).
std::string finish(const json& message);

}  // namespace onymous::protocol
