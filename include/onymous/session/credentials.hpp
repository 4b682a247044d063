#pragma once
// Per-connection secrets: the resume token and TURN REST credentials
// (the scheme coturn's use-auth-secret checks). Nothing here identifies a
// person: every value is fresh randomness or derived from it.

#include <onymous/config/config.hpp>
#include <onymous/protocol/serialize.hpp>

#include <chrono>
#include <optional>
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
/// TURN entries with freshly minted credentials when a secret is set (the
/// first secret: a second one only lets the TURN server keep accepting what
/// was minted before a rotation).
std::vector<protocol::ice_server> ice_servers_for_connection(
    const config::ice_settings& ice, std::chrono::system_clock::time_point now);

/// When the TURN credentials among `servers` expire: the expiry their
/// username starts with (whole seconds, as the TURN server reads it), or
/// nullopt when there is no TURN entry.
std::optional<std::chrono::system_clock::time_point> credentials_expiry(
    const std::vector<protocol::ice_server>& servers);

/// True when a connection whose TURN credentials expire at `expiry` needs
/// fresh ones at `now`: TURN is configured and they expire within the next
/// ttl/2 (or there are none yet). The TURN server checks the expiry only when
/// an allocation is made, so a pairing that starts late in their life, or an
/// ICE restart, needs credentials that outlast it.
bool credentials_due(const config::ice_settings& ice,
                     std::optional<std::chrono::system_clock::time_point> expiry,
                     std::chrono::system_clock::time_point now);

}  // namespace onymous::session
