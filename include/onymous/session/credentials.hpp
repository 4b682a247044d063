#pragma once
// Per-connection secrets: the resume token and TURN REST credentials
// (the scheme coturn's use-auth-secret checks). Nothing here identifies a
// person: every value is fresh randomness or derived from it.

#include <onymous/config/config.hpp>
#include <onymous/protocol/serialize.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::session {

/// 128 random bits, base64url without padding (22 characters).
std::string new_resume_token();

/// username = "<unix expiry>:<random>", credential = base64(HMAC-SHA1(secret, username)).
protocol::ice_server mint_turn_credentials(const std::vector<std::string>& urls,
                                           std::string_view secret,
                                           std::chrono::system_clock::time_point expiry);

/// The iceServers of one connection's hello: STUN entries as configured, and
/// TURN entries with freshly minted credentials when a secret is set.
std::vector<protocol::ice_server> ice_servers_for_connection(
    const config::ice_settings& ice, std::chrono::system_clock::time_point now);

}  // namespace onymous::session
