// Server -> client messages: exact wire text, seq placement, and relayed
// messages rebuilt from validated fields only.
#include <onymous/protocol/parse.hpp>
#include <onymous/protocol/serialize.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace onymous::protocol;

namespace {

client_message accepted(std::string_view text) {
    const parse_result result = parse(text, parse_limits{});
    if (const auto* error = std::get_if<parse_error>(&result)) FAIL(error->message);
    return std::get<client_message>(result);
}

const onymous::config::limits_settings defaults{};

onymous::config::limits_settings small_limits() {
    onymous::config::limits_settings l;
    l.max_message_bytes = 1;
    l.max_sdp_bytes = 2;
    l.messages_per_second = 4;
    l.resume_grace = std::chrono::milliseconds(5);
    l.max_unacked_bytes = 6;
    return l;
}

}  // namespace

TEST_CASE("hello", "[protocol]") {
    const std::vector<ice_server> servers{
        {{"stun:stun.example.org:3478"}, "", ""},
        {{"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"},
         "1700000600:q7bS0x",
         "c2VjcmV0PT0="}};
    CHECK(finish(make_hello("tok", servers, false, defaults, 10)) ==
          R"({"type":"hello","version":1,"resume":"tok","iceServers":[)"
          R"({"urls":["stun:stun.example.org:3478"]},)"
          R"({"urls":["turn:turn.example.org:3478?transport=udp","turns:turn.example.org:5349"],)"
          R"("username":"1700000600:q7bS0x","credential":"c2VjcmV0PT0="}],)"
          R"("iceTransportPolicy":"all","limits":{"maxMessageBytes":65536,"maxSdpBytes":32768,)"
          R"("maxInterests":10,"messagesPerSecond":50,"resumeGraceMs":10000,)"
          R"("maxUnackedBytes":65536}})");
    CHECK(finish(make_hello("t", {}, true, small_limits(), 3)) ==
          R"({"type":"hello","version":1,"resume":"t","iceServers":[],)"
          R"("iceTransportPolicy":"relay","limits":{"maxMessageBytes":1,"maxSdpBytes":2,)"
          R"("maxInterests":3,"messagesPerSecond":4,"resumeGraceMs":5,"maxUnackedBytes":6}})");
}

TEST_CASE("messages without fields get seq after type", "[protocol]") {
    CHECK(finish(make_partner_left(), 7) == R"({"type":"partner_left","seq":7})");
    CHECK(finish(make_left(), 8) == R"({"type":"left","seq":8})");
    CHECK(finish(make_draining(), 18446744073709551615ULL) ==
          R"({"type":"draining","seq":18446744073709551615})");
    CHECK(finish(make_pong()) == R"({"type":"pong"})");
}

TEST_CASE("matched", "[protocol]") {
    CHECK(finish(make_matched(role::offerer, {"chess", "\u00C9cole"}), 2) ==
          "{\"type\":\"matched\",\"role\":\"offerer\",\"interests\":[\"chess\",\"\u00C9cole\"],"
          "\"seq\":2}");
    CHECK(finish(make_matched(role::answerer, {}), 3) ==
          R"({"type":"matched","role":"answerer","interests":[],"seq":3})");
    CHECK(finish(make_matched(role::answerer, {}, {}), 3) ==
          R"({"type":"matched","role":"answerer","interests":[],"seq":3})");
    CHECK(finish(make_matched(role::offerer, {}, {{{"turn:t.example.org"}, "9:x", "Y2Q="}}), 4) ==
          R"({"type":"matched","role":"offerer","interests":[],"iceServers":[)"
          R"({"urls":["turn:t.example.org"],"username":"9:x","credential":"Y2Q="}],"seq":4})");
}

TEST_CASE("offer and answer are rebuilt with type and sdp only", "[protocol]") {
    const auto offer = std::get<sdp_message>(
        accepted(R"({"extra":1,"type":"offer","sdp":"v=0\r\ns=-\r\n","seq":99,"x":{"y":[]}})"));
    CHECK(finish(make_sdp(offer), 5) == R"({"type":"offer","sdp":"v=0\r\ns=-\r\n","seq":5})");
    CHECK(finish(make_sdp(sdp_message{sdp_kind::answer, "v=0\n"}), 6) ==
          R"({"type":"answer","sdp":"v=0\n","seq":6})");
}

TEST_CASE("candidates are rebuilt with the four RTCIceCandidateInit keys", "[protocol]") {
    SECTION("all fields, extra ones stripped at both levels") {
        const auto message = std::get<candidate_message>(accepted(
            R"({"type":"candidate","from":"x","candidate":{"candidate":"candidate:1 1 udp 2122 )"
            R"(192.0.2.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"uf",)"
            R"("relayProtocol":"udp","address":"192.0.2.1"}})"));
        CHECK(finish(make_candidate(message), 9) ==
              R"({"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2122 192.0.2.1 )"
              R"(5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"uf"},"seq":9})");
    }
    SECTION("absent sdpMid and sdpMLineIndex become null, an absent ufrag is left out") {
        const auto mid_only = std::get<candidate_message>(accepted(
            R"({"type":"candidate","candidate":{"candidate":"candidate:2","sdpMid":"a"}})"));
        CHECK(finish(make_candidate(mid_only), 1) ==
              R"({"type":"candidate","candidate":{"candidate":"candidate:2","sdpMid":"a",)"
              R"("sdpMLineIndex":null},"seq":1})");
        const auto index_only = std::get<candidate_message>(accepted(
            R"({"type":"candidate","candidate":{"candidate":"candidate:3","sdpMLineIndex":2,)"
            R"("sdpMid":null,"usernameFragment":null}})"));
        CHECK(finish(make_candidate(index_only), 2) ==
              R"({"type":"candidate","candidate":{"candidate":"candidate:3","sdpMid":null,)"
              R"("sdpMLineIndex":2},"seq":2})");
    }
    SECTION("end of candidates keeps its form") {
        const auto chrome = std::get<candidate_message>(
            accepted(R"({"type":"candidate","candidate":null,"sdpMid":"0"})"));
        CHECK(finish(make_candidate(chrome), 3) ==
              R"({"type":"candidate","candidate":null,"seq":3})");
        const auto firefox = std::get<candidate_message>(accepted(
            R"({"type":"candidate","candidate":{"candidate":"","sdpMid":"0","sdpMLineIndex":0,)"
            R"("usernameFragment":"uf"}})"));
        CHECK(finish(make_candidate(firefox), 4) ==
              R"({"type":"candidate","candidate":{"candidate":"","sdpMid":"0",)"
              R"("sdpMLineIndex":0,"usernameFragment":"uf"},"seq":4})");
        const auto bare = std::get<candidate_message>(
            accepted(R"({"type":"candidate","candidate":{"candidate":""}})"));
        CHECK(finish(make_candidate(bare), 5) ==
              R"({"type":"candidate","candidate":{"candidate":"","sdpMid":null,)"
              R"("sdpMLineIndex":null},"seq":5})");
    }
}

TEST_CASE("a relayed message parses back to the same message", "[protocol]") {
    const auto candidate = std::get<candidate_message>(accepted(
        R"({"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 h 1 typ host",)"
        R"("sdpMid":"0","usernameFragment":"u"}})"));
    const auto again = std::get<candidate_message>(accepted(finish(make_candidate(candidate), 1)));
    REQUIRE(again.candidate.has_value());
    CHECK(again.candidate->candidate == candidate.candidate->candidate);
    CHECK(again.candidate->sdp_mid == candidate.candidate->sdp_mid);
    CHECK(again.candidate->sdp_mline_index == candidate.candidate->sdp_mline_index);
    CHECK(again.candidate->username_fragment == candidate.candidate->username_fragment);
}

TEST_CASE("error carries ref only when the type is known", "[protocol]") {
    CHECK(finish(make_error(error_code::invalid_sdp, "sdp must start with v=0", "offer")) ==
          R"({"type":"error","code":"invalid_sdp","message":"sdp must start with v=0",)"
          R"("ref":"offer"})");
    CHECK(finish(make_error(error_code::bad_json, "message is not valid JSON", "")) ==
          R"({"type":"error","code":"bad_json","message":"message is not valid JSON"})");
    const parse_result refused = parse(R"({"type":"candidate"})", parse_limits{});
    const auto& error = std::get<parse_error>(refused);
    CHECK(finish(make_error(error.code, error.message, error.ref)) ==
          R"({"type":"error","code":"invalid_message",)"
          R"("message":"candidate must be an object or null","ref":"candidate"})");
}

TEST_CASE("resumed", "[protocol]") {
    CHECK(finish(make_resumed(session_state::paired, role::answerer, "new")) ==
          R"({"type":"resumed","state":"paired","role":"answerer","resume":"new"})");
    CHECK(finish(make_resumed(session_state::waiting, std::nullopt, "n2")) ==
          R"({"type":"resumed","state":"waiting","resume":"n2"})");
    CHECK(finish(make_resumed(session_state::idle, std::nullopt, "n3")) ==
          R"({"type":"resumed","state":"idle","resume":"n3"})");
}

TEST_CASE("serialisation escapes control characters and never throws", "[protocol]") {
    CHECK(finish(make_sdp(sdp_message{sdp_kind::offer, std::string("a\x01\"\\/", 5)}), 1) ==
          R"({"type":"offer","sdp":"a\u0001\"\\/","seq":1})");
    // Never produced by parse(), but a bad byte must not throw on the data path.
    CHECK(finish(make_sdp(sdp_message{sdp_kind::offer, "v=0\xFF"}), 1) ==
          "{\"type\":\"offer\",\"sdp\":\"v=0\xEF\xBF\xBD\",\"seq\":1}");
}
