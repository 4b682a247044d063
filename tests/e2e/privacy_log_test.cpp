// The daemon's whole output holds nothing about its users (PROTOCOL.md:
// Privacy; issue 8, The log). One full scenario at the most verbose level,
// in relay-only mode with TURN credentials: connect, join with interests,
// pair, relay SDP and candidates (some dropped by relay-only), errors, a
// drop and a resume, disconnect. Then neither stderr nor stdout may hold a
// client address or port, a token, a TURN username or credential (nor its
// random part), the TURN secret, an interest, SDP or candidate text.
// (tests/e2e/privacy_test.cpp covers every refusal path in the default mode.)

#include "lifecycle.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace onymous::test;

namespace {

// Markers that cannot appear in a log line by accident.
const std::string interest_marker = "zqlogint";
const std::string sdp_marker = "zqlogsdp";
const std::string candidate_marker = "zqlogcand";
const std::string turn_secret = "zqlogturnsecret";
const std::string host_address = "192.168.77.66";
const std::string reflexive_address = "203.0.113.66";
const std::string relay_address = "198.51.100.66";

std::string marked_sdp(std::string_view tag) {
    return "v=0\r\no=- 4611731400" + std::string(tag) + " 2 IN IP4 127.0.0.1\r\ns=" + sdp_marker +
           std::string(tag) +
           "\r\nt=0 0\r\nm=application 54999 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 " +
           reflexive_address + "\r\na=candidate:1 1 udp 2122260223 " + host_address +
           " 54999 typ host generation 0\r\na=candidate:2 1 udp 41885439 " + relay_address +
           " 61999 typ relay raddr " + reflexive_address +
           " rport 54999\r\na=ice-ufrag:" + sdp_marker + "\r\na=mid:0\r\n";
}

json marked_candidate(std::string_view type, std::string_view tag) {
    const std::string address = type == "relay" ? relay_address : host_address;
    std::string line = "candidate:77 1 udp 2122260223 " + address + " 61234 typ " +
                       std::string(type) + (type == "relay" ? " raddr " + reflexive_address : "") +
                       (type == "relay" ? " rport 54999" : "") + " ufrag " + candidate_marker +
                       std::string(tag);
    return {{"candidate", line},
            {"sdpMid", "0"},
            {"sdpMLineIndex", 0},
            {"usernameFragment", candidate_marker}};
}

/// True when `number` occurs in `text` not as part of a longer number.
bool contains_number(const std::string& text, const std::string& number) {
    const auto digit = [&](std::size_t at) {
        return at < text.size() && text[at] >= '0' && text[at] <= '9';
    };
    for (auto at = text.find(number); at != std::string::npos; at = text.find(number, at + 1))
        if ((at == 0 || !digit(at - 1)) && !digit(at + number.size())) return true;
    return false;
}

/// Every TURN username, its random part and credential in `servers`.
void add_credentials(std::vector<std::string>& forbidden, const json& servers) {
    for (const json& server : servers) {
        if (!server.contains("username")) continue;
        const std::string username = server.at("username");
        forbidden.push_back(username);
        forbidden.push_back(username.substr(username.find(':') + 1));
        forbidden.push_back(server.at("credential"));
    }
}

}  // namespace

TEST_CASE("the daemon's output holds no user data at debug level, relay-only, with TURN",
          "[privacy_log_test][e2e]") {
    daemon_process daemon({{"logging.level", "debug"},
                           {"ice.privacy", "relay_only"},
                           {"ice.turn.urls", json::array({"turn:127.0.0.1:3478?transport=udp"})},
                           {"ice.turn.secret", turn_secret},
                           {"ice.turn.ttl", "2s"},  // so that matched refreshes them too
                           {"ice.relay_networks", json::array({"198.51.100.0/24"})},
                           {"limits.resume_grace", "30s"},
                           // Not loopback: the start-up warning about a plain
                           // loopback listener without trusted proxies, which
                           // names the listener's 127.0.0.1, stays out, so that
                           // 127.0.0.1 in the output could only be a client's.
                           {"trusted_proxies", json::array({"192.0.2.0/24"})},
                           quick_close});
    std::vector<std::string> forbidden = {interest_marker, sdp_marker,   candidate_marker,
                                          turn_secret,     host_address, reflexive_address,
                                          relay_address,   "127.0.0.1"};
    // The clients' own ports, and those their SDP and candidates name.
    std::vector<std::uint16_t> client_ports = {61234, 54999, 61999};
    const auto remember = [&](ws_client& client) {
        client_ports.push_back(client.local_port());
        for (const json& message : client.history()) {
            if (message.contains("resume")) forbidden.push_back(message.at("resume"));
            if (message.contains("iceServers")) add_credentials(forbidden, message["iceServers"]);
        }
    };

    // Connect (TLS and plain), join with interests, pair.
    auto a = open_client(daemon);
    connect_options plain;
    plain.tls = false;
    auto b = open_client(daemon, plain);
    // (Not pair(): with a 2 s ttl, matched may carry iceServers already.)
    join(a, "text", {interest_marker + "x", "common" + interest_marker});
    join(b, "text", {"Common" + interest_marker, interest_marker + "y"});
    const json matched = expect_type(a, "matched");
    REQUIRE(expect_type(b, "matched").at("interests") == json::array({"common" + interest_marker}));
    const bool a_offers = matched.at("role") == "offerer";
    ws_client& offerer = a_offers ? a : b;
    ws_client& answerer = a_offers ? b : a;

    // Relay SDP and candidates; the host candidate is dropped, the relay one
    // relayed blanked, then the end of candidates.
    offerer.send_json(offer_message(marked_sdp("o")));
    expect_type(answerer, "offer");
    answerer.send_json(answer_message(marked_sdp("a")));
    expect_type(offerer, "answer");
    offerer.send_json(candidate_message(marked_candidate("host", "h")));
    offerer.send_json(candidate_message(marked_candidate("relay", "r")));
    const json relayed = expect_type(answerer, "candidate");
    REQUIRE(relayed.dump().find(reflexive_address) == std::string::npos);
    offerer.send_json({{"type", "candidate"}, {"candidate", nullptr}});
    expect_type(answerer, "candidate");

    // Errors carrying the client's data.
    json bad = marked_candidate("relay", "bad");
    bad["candidate"] = "cand " + host_address + " " + candidate_marker;
    offerer.send_json({{"type", "candidate"}, {"candidate", bad}});
    expect_error(offerer, "invalid_candidate", "candidate");
    offerer.send_text("{\"type\":\"offer\",\"sdp\":\"" + sdp_marker + " " + host_address);
    expect_error(offerer, "bad_json");
    offerer.send_json({{"type", "join"}, {"interests", {interest_marker + "again"}}});
    expect_error(offerer, "bad_state", "join");

    // The answerer drops, the offerer trickles on, the answerer resumes and
    // gets what it missed, and the chat goes on.
    remember(answerer);
    const auto token = hello_token(answerer);
    const auto last_seq = answerer.last_seq();
    answerer.drop();
    require_metric(daemon, "onymous_sessions_in_grace", 1);
    offerer.send_json(candidate_message(marked_candidate("relay", "grace")));
    offerer.send_json(candidate_message(marked_candidate("srflx", "grace")));
    auto back = open_resuming(daemon, token, last_seq, plain);
    expect_resumed(back, "paired", "answerer", token);
    const json missed = next_message(back);
    REQUIRE(missed.at("type") == "candidate");
    back.send_json(offer_message(marked_sdp("again")));
    expect_type(offerer, "offer");

    // A new pairing for the offerer once its TURN credentials have expired
    // (a 2 s ttl): its matched carries fresh ones.
    back.send_json({{"type", "leave"}});
    expect_type(back, "left");
    expect_type(offerer, "partner_left");
    std::int64_t expiry = 0;
    for (const json& message : offerer.history())
        for (const json& server : message.value("iceServers", json::array()))
            if (server.contains("username"))
                expiry = std::max<std::int64_t>(expiry,
                                                std::stoll(server["username"].get<std::string>()));
    REQUIRE(expiry > 0);
    while (std::chrono::system_clock::now() <=
           std::chrono::system_clock::time_point(std::chrono::seconds(expiry)))
        std::this_thread::sleep_for(100ms);
    auto c = open_client(daemon);
    join(offerer, "text", {interest_marker + "z"});
    join(c, "text", {interest_marker + "z"});
    REQUIRE(expect_type(offerer, "matched").contains("iceServers"));
    expect_type(c, "matched");

    // Disconnect.
    for (auto* client : {&a, &b, &back, &c}) remember(*client);
    for (auto* client : {&offerer, &back, &c}) client->close();
    finish_clean(daemon);  // stops it: every line is written

    const std::string output = daemon.log() + read_file(daemon.dir().file("stdout.log"));
    INFO("daemon output:\n" << output);
    // Debug logging wrote something, so the checks below mean something.
    REQUIRE_FALSE(output.empty());
    for (const auto& secret : forbidden) {
        INFO("found in the output: " << secret);
        REQUIRE(output.find(secret) == std::string::npos);
    }
    for (const auto port : client_ports) {
        INFO("client port " << port << " found in the output");
        REQUIRE_FALSE(contains_number(output, std::to_string(port)));
    }
}
