// Privacy as the session applies it (PROTOCOL.md, Relay guarantees and
// Server → client): in relay-only mode hello says "relay" and what reaches
// the partner is filtered after validation (non-relay candidates dropped
// silently and not counted by the caps, SDP scrubbed); `matched` carries
// fresh TURN credentials exactly when the connection's expire within the
// next ttl/2, on an injected wall clock.

#include "session_support.hpp"

#include <onymous/session/credentials.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <regex>

using namespace onymous;
using namespace onymous::test;
using namespace std::chrono_literals;

namespace {

json candidate_message(std::string line, std::string mid = "0") {
    return {{"type", "candidate"},
            {"candidate", {{"candidate", std::move(line)}, {"sdpMid", std::move(mid)}}}};
}

const std::string host = "candidate:1 1 udp 2122260223 192.168.1.10 54400 typ host generation 0";
const std::string srflx =
    "candidate:2 1 udp 1686052607 203.0.113.5 54400 typ srflx raddr 192.168.1.10 rport 54400";
const std::string relay_in =
    "candidate:3 1 udp 41885439 198.51.100.20 61000 typ relay raddr 203.0.113.5 rport 54400 "
    "generation 0";
const std::string relay_in_blanked =
    "candidate:3 1 udp 41885439 198.51.100.20 61000 typ relay raddr 0.0.0.0 rport 0 generation 0";
const std::string relay_out =
    "candidate:4 1 udp 41885439 192.0.2.200 3478 typ relay raddr 203.0.113.5 rport 54400";

const std::string offer_sdp =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=application 54400 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 203.0.113.5\r\n"
    "a=candidate:1 1 udp 2122260223 192.168.1.10 54400 typ host generation 0\r\n"
    "a=candidate:3 1 udp 41885439 198.51.100.20 61000 typ relay raddr 203.0.113.5 rport 54400 "
    "generation 0\r\n"
    "a=candidate:4 1 udp 41885439 192.0.2.200 3478 typ relay raddr 203.0.113.5 rport 54400\r\n"
    "a=mid:0\r\n";
const std::string offer_sdp_scrubbed =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=application 54400 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=candidate:3 1 udp 41885439 198.51.100.20 61000 typ relay raddr 0.0.0.0 rport 0 "
    "generation 0\r\n"
    "a=mid:0\r\n";

void relay_only(session_fixture& f) {
    f.settings.relay_only = true;
    f.settings.ice.relay_networks = {"198.51.100.0/24"};
}

json with_seq(json message, std::uint64_t seq) {
    message["seq"] = seq;
    return message;
}

/// base64(HMAC-SHA1(secret, text)), computed here with OpenSSL directly.
std::string hmac_credential(const std::string& secret, const std::string& text) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
    unsigned char out[64] = {};
    const int written = EVP_EncodeBlock(out, mac, static_cast<int>(size));
    return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(written));
}

void with_turn(session_fixture& f) {
    f.settings.ice.stun = {"stun:127.0.0.1:3478"};
    f.settings.ice.turn.urls = {"turn:127.0.0.1:3478?transport=udp"};
    f.settings.ice.turn.secrets = {"first-secret", "second-secret"};
    f.settings.ice.turn.ttl = 10min;
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

/// Requires `servers` to be the STUN entry and a TURN entry minted under
/// the first secret, expiring at `expiry`; returns the TURN username.
std::string require_minted(const json& servers, std::int64_t expiry) {
    INFO("iceServers: " << servers.dump());
    REQUIRE(servers.size() == 2);
    CHECK(servers[0] == json{{"urls", {"stun:127.0.0.1:3478"}}});
    const json& turn = servers[1];
    CHECK(turn.at("urls") == json::array({"turn:127.0.0.1:3478?transport=udp"}));
    const std::string username = turn.at("username");
    CHECK(std::regex_match(username, std::regex(std::to_string(expiry) + ":[0-9a-f]{24}")));
    CHECK(turn.at("credential") == hmac_credential("first-secret", username));
    return username;
}

/// The next matched of `c`, after its waiting.
json next_matched(client& c) {
    const auto messages = c.connection->take();
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].at("type") == "waiting");
    REQUIRE(messages[1].at("type") == "matched");
    return messages[1];
}

}  // namespace

TEST_CASE("relay-only: hello asks for relay, and every connection gets it", "[session][privacy]") {
    session_fixture f;
    relay_only(f);
    auto a = f.connect();
    CHECK(a.connection->frames.at(0).at("iceTransportPolicy") == "relay");
    session_fixture plain;
    auto b = plain.connect();
    CHECK(b.connection->frames.at(0).at("iceTransportPolicy") == "all");
}

TEST_CASE("relay-only: the partner gets the SDP scrubbed and relay candidates only",
          "[session][privacy]") {
    session_fixture f;
    relay_only(f);
    auto [a, b] = paired(f, f.home1, f.home2);

    a.say({{"type", "offer"}, {"sdp", offer_sdp}});
    f.run_all();
    CHECK(b.connection->take() ==
          std::vector<json>{with_seq({{"type", "offer"}, {"sdp", offer_sdp_scrubbed}}, 3)});

    // host, srflx and a relay outside the relay networks: dropped, and the
    // sender hears nothing (no error).
    for (const auto& line : {host, srflx, relay_out}) a.say(candidate_message(line));
    a.say(candidate_message(relay_in, "audio"));
    a.say({{"type", "candidate"}, {"candidate", nullptr}});
    a.say(candidate_message(""));
    f.run_all();
    CHECK(a.connection->take().empty());
    CHECK(b.connection->take() ==
          std::vector<json>{
              with_seq({{"type", "candidate"},
                        {"candidate",
                         {{"candidate", relay_in_blanked},
                          {"sdpMid", "audio"},
                          {"sdpMLineIndex", nullptr}}}},
                       4),
              with_seq({{"type", "candidate"}, {"candidate", nullptr}}, 5),
              with_seq(
                  {{"type", "candidate"},
                   {"candidate", {{"candidate", ""}, {"sdpMid", "0"}, {"sdpMLineIndex", nullptr}}}},
                  6)});

    // The answer the other way is scrubbed too.
    b.say({{"type", "answer"}, {"sdp", offer_sdp}});
    f.run_all();
    CHECK(a.connection->take() ==
          std::vector<json>{with_seq({{"type", "answer"}, {"sdp", offer_sdp_scrubbed}}, 3)});
}

TEST_CASE("relay-only: dropped candidates do not count toward the pairing's cap",
          "[session][privacy]") {
    session_fixture f;
    relay_only(f);
    f.settings.limits.pair_max_candidates = 1;
    auto [a, b] = paired(f, f.home1, f.home2);
    for (int i = 0; i < 5; ++i) a.say(candidate_message(host));
    a.say(candidate_message(relay_in));
    a.say(candidate_message(relay_in));
    f.run_all();
    const auto errors = a.connection->take();
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].at("code") == "rate_limited");
    CHECK(b.connection->take_types() == std::vector<std::string>{"candidate"});
}

TEST_CASE("without relay-only, candidates and SDP are relayed as sent", "[session][privacy]") {
    session_fixture f;
    auto [a, b] = paired(f, f.home1, f.home2);
    a.say({{"type", "offer"}, {"sdp", offer_sdp}});
    a.say(candidate_message(host));
    f.run_all();
    const auto got = b.connection->take();
    REQUIRE(got.size() == 2);
    CHECK(got[0].at("sdp") == offer_sdp);
    CHECK(got[1].at("candidate").at("candidate") == host);
}

TEST_CASE("hello's TURN credentials: minted under the first secret, expiring after ttl",
          "[session][privacy][credentials]") {
    session_fixture f;
    with_turn(f);
    auto a = f.connect();
    const json hello = a.connection->frames.at(0);
    require_minted(hello.at("iceServers"), unix_seconds(f.wall) + 600);
}

TEST_CASE("matched refreshes the credentials exactly when they expire within ttl/2",
          "[session][privacy][credentials]") {
    session_fixture f;
    with_turn(f);
    const auto start = f.wall;
    auto a = f.connect();
    const std::string hello_user =
        require_minted(a.connection->frames.at(0).at("iceServers"), unix_seconds(start) + 600);

    // Fresh credentials: the first pairing carries none.
    auto b = f.connect();
    a.say({{"type", "join"}, {"mode", "text"}});
    b.say({{"type", "join"}, {"mode", "text"}});
    f.run_all();
    CHECK_FALSE(next_matched(a).contains("iceServers"));
    CHECK_FALSE(next_matched(b).contains("iceServers"));

    // One second before ttl/2 is left: still none.
    f.advance(5min - 1s);
    a.say({{"type", "next"}});
    b.say({{"type", "leave"}});
    auto c = f.connect();
    c.say({{"type", "join"}, {"mode", "text"}});
    f.run_all();
    CHECK_FALSE(next_matched(a).contains("iceServers"));
    b.connection->take();

    // At ttl/2: a's are due, and c's own (minted just now) are not.
    f.advance(1s);
    a.say({{"type", "next"}});
    c.say({{"type", "leave"}});
    auto d = f.connect();
    d.say({{"type", "join"}, {"mode", "text"}});
    f.run_all();
    const json refreshed = next_matched(a);
    REQUIRE(refreshed.contains("iceServers"));
    const std::string fresh_user =
        require_minted(refreshed.at("iceServers"), unix_seconds(f.wall) + 600);
    CHECK(fresh_user != hello_user);
    CHECK_FALSE(next_matched(d).contains("iceServers"));
    c.connection->take();

    // The fresh ones last another ttl/2: the next pairing carries none.
    f.advance(1s);
    a.say({{"type", "next"}});
    d.say({{"type", "leave"}});
    auto e = f.connect();
    e.say({{"type", "join"}, {"mode", "text"}});
    f.run_all();
    CHECK_FALSE(next_matched(a).contains("iceServers"));
}

TEST_CASE("without TURN, matched never carries iceServers", "[session][privacy][credentials]") {
    session_fixture f;
    f.settings.ice.stun = {"stun:127.0.0.1:3478"};
    auto a = f.connect();
    CHECK(a.connection->frames.at(0).at("iceServers").size() == 1);
    f.advance(24h);
    auto b = f.connect();
    a.say({{"type", "join"}, {"mode", "text"}});
    b.say({{"type", "join"}, {"mode", "text"}});
    f.run_all();
    CHECK_FALSE(next_matched(a).contains("iceServers"));
}

TEST_CASE("after a resume, the connection's credentials are those of its new hello",
          "[session][privacy][credentials]") {
    session_fixture f;
    with_turn(f);
    f.settings.limits.resume_grace = 1h;
    auto a = f.connect();
    a.say({{"type", "join"}, {"mode", "text"}});
    f.run_all();
    a.connection->take();

    // Four minutes on, a resumes on a new connection, whose hello brings
    // credentials that expire 14 minutes after a's first ones were minted.
    f.advance(4min);
    a.drop();
    auto back = f.connect();
    back.say(resume_message(a.token(), a.last_seq()));
    f.run_all();
    CHECK(back.connection->take_types() == std::vector<std::string>{"resumed"});

    // At 5.5 minutes the first hello's would be due, the new ones are not.
    f.advance(90s);
    auto b = f.connect();
    b.say({{"type", "join"}, {"mode", "text"}});
    f.run_all();
    const auto got = back.connection->take();
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].at("type") == "matched");
    CHECK_FALSE(got[0].contains("iceServers"));
}
