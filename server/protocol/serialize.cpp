#include <onymous/protocol/serialize.hpp>

namespace onymous::protocol {

namespace {

json typed(std::string_view type) {
    json message = json::object();
    message["type"] = type;
    return message;
}

json ice_servers_json(const std::vector<ice_server>& servers) {
    json list = json::array();
    for (const ice_server& server : servers) {
        json entry = json::object();
        entry["urls"] = server.urls;
        if (!server.username.empty()) entry["username"] = server.username;
        if (!server.credential.empty()) entry["credential"] = server.credential;
        list.push_back(std::move(entry));
    }
    return list;
}

}  // namespace

json make_hello(const std::string& resume_token, const std::vector<ice_server>& ice_servers,
                bool relay_only, const config::limits_settings& limits,
                std::uint64_t max_interests) {
    json message = typed("hello");
    message["version"] = version;
    message["resume"] = resume_token;
    message["iceServers"] = ice_servers_json(ice_servers);
    message["iceTransportPolicy"] = relay_only ? "relay" : "all";
    json& out = message["limits"];
    out["maxMessageBytes"] = limits.max_message_bytes;
    out["maxSdpBytes"] = limits.max_sdp_bytes;
    out["maxInterests"] = max_interests;
    out["messagesPerSecond"] = limits.messages_per_second;
    out["resumeGraceMs"] = limits.resume_grace.count();
    out["maxUnackedBytes"] = limits.max_unacked_bytes;
    return message;
}

json make_hello(const std::string& resume_token, const std::vector<ice_server>& ice_servers,
                bool relay_only, const config::limits_settings& limits, std::uint64_t max_interests,
                const std::optional<abuse::challenge>& challenge) {
    json message = make_hello(resume_token, ice_servers, relay_only, limits, max_interests);
    if (challenge) message["challenge"] = challenge_json(*challenge);
    return message;
}

json challenge_json(const abuse::challenge& c) {
    json out = json::object();
    out["prefix"] = c.prefix;
    out["bits"] = c.bits;
    out["count"] = c.count;
    out["expiresMs"] = c.expires_ms;
    return out;
}

json make_matched(role r, const std::vector<std::string>& common_interests) {
    json message = typed("matched");
    message["role"] = to_string(r);
    message["interests"] = common_interests;
    return message;
}

json make_matched(role r, const std::vector<std::string>& common_interests,
                  const std::vector<ice_server>& fresh_ice_servers) {
    json message = make_matched(r, common_interests);
    if (!fresh_ice_servers.empty()) message["iceServers"] = ice_servers_json(fresh_ice_servers);
    return message;
}

json make_sdp(const sdp_message& message) {
    json out = typed(to_string(message.kind));
    out["sdp"] = message.sdp;
    return out;
}

json make_candidate(const candidate_message& message) {
    json out = typed("candidate");
    if (!message.candidate) {
        out["candidate"] = nullptr;
        return out;
    }
    const ice_candidate& candidate = *message.candidate;
    json init = json::object();
    init["candidate"] = candidate.candidate;
    init["sdpMid"] = candidate.sdp_mid ? json(*candidate.sdp_mid) : json(nullptr);
    init["sdpMLineIndex"] =
        candidate.sdp_mline_index ? json(*candidate.sdp_mline_index) : json(nullptr);
    if (candidate.username_fragment) init["usernameFragment"] = *candidate.username_fragment;
    out["candidate"] = std::move(init);
    return out;
}

json make_partner_left() { return typed("partner_left"); }
json make_left() { return typed("left"); }
json make_draining() { return typed("draining"); }
json make_pong() { return typed("pong"); }
json make_reported() { return typed("reported"); }

json make_error(error_code code, std::string_view message, std::string_view ref) {
    json out = typed("error");
    out["code"] = to_string(code);
    out["message"] = message;
    if (!ref.empty()) out["ref"] = ref;
    return out;
}

json make_error(error_code code, std::string_view message, std::string_view ref,
                std::chrono::milliseconds retry_after) {
    json out = make_error(code, message, ref);
    out["retryAfterMs"] = retry_after.count();
    return out;
}

json make_resumed(session_state state, std::optional<role> r, const std::string& new_token) {
    json out = typed("resumed");
    out["state"] = to_string(state);
    if (r) out["role"] = to_string(*r);
    out["resume"] = new_token;
    return out;
}

std::string finish(json message, std::uint64_t seq) {
    message["seq"] = seq;
    return finish(message);
}

std::string finish(const json& message) {
    // Everything here was validated as UTF-8 already; `replace` only makes
    // sure dump() can never throw on the data path.
    return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace onymous::protocol
