// Every error code of issue 2, provoked with its exact code and ref; after
// each, the connection still works and the partner received nothing
// (PROTOCOL.md: Error codes, Client → server).

#include "helpers.hpp"

#include <string>
#include <vector>

using namespace onymous::test;

namespace {

/// Sends `raw`, requires the error, then a working connection.
void expect_refused(ws_client& client, const std::string& raw, std::string_view code,
                    std::string_view ref = {}) {
    INFO("sent: " << raw);
    client.send_text(raw);
    expect_error(client, code, ref);
    ping_pong(client);
}

void expect_refused(ws_client& client, const json& message, std::string_view code,
                    std::string_view ref = {}) {
    expect_refused(client, message.dump(), code, ref);
}

/// An SDP of exactly `size` bytes (size >= 64), valid in text mode.
std::string sdp_of_size(std::size_t size) {
    std::string sdp = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
    const std::string prefix = "a=x-pad:";
    const std::size_t room = size - sdp.size() - prefix.size() - 2;
    sdp += prefix + std::string(room, 'p') + "\r\n";
    return sdp;
}

json offer(const std::string& sdp) { return {{"type", "offer"}, {"sdp", sdp}}; }

json candidate(json init) { return {{"type", "candidate"}, {"candidate", std::move(init)}}; }

/// Requires that `receiver`'s next message is `marker`'s offer: nothing the
/// refused messages carried reached the partner.
void expect_only_marker(ws_client& sender, ws_client& receiver, const std::string& marker) {
    sender.send_json(offer(text_sdp(marker)));
    expect_message(receiver, offer(text_sdp(marker)));
}

}  // namespace

TEST_CASE("bad_json: text that is not JSON", "[errors_test][e2e]") {
    daemon_process daemon;
    auto client = open_client(daemon);
    for (const std::string raw :
         {"{oops", "", "nul", "{\"type\":\"ping\"", "{\"type\":\"ping\"}}", "'single'"})
        expect_refused(client, raw, "bad_json");
    finish(daemon);
}

TEST_CASE("deeply nested JSON is refused without harm", "[errors_test][e2e]") {
    // 30000 nested arrays are JSON (so the contract says invalid_message: not
    // an object), but a parser may refuse such depth as unparseable
    // (bad_json); either way no ref, and the connection goes on.
    daemon_process daemon;
    auto client = open_client(daemon);
    for (const std::string& raw :
         {std::string(30000, '[') + std::string(30000, ']'), std::string(60000, '['),
          "{\"type\":\"ping\",\"x\":" + std::string(30000, '[') + std::string(30000, ']') + "}"}) {
        client.send_text(raw);
        const auto error = expect_type(client, "error");
        INFO("got " << error.dump());
        REQUIRE((error["code"] == "bad_json" || error["code"] == "invalid_message"));
        REQUIRE_FALSE(error.contains("ref"));
        ping_pong(client);
    }
    finish(daemon);
}

TEST_CASE("invalid_message: not an object, no type, wrong field types", "[errors_test][e2e]") {
    daemon_process daemon;
    auto client = open_client(daemon);
    for (const std::string raw : {"[]", "[{\"type\":\"ping\"}]", "42", "\"ping\"", "null", "true",
                                  "{}", "{\"type\":5}", "{\"type\":null}", "{\"type\":[\"ping\"]}"})
        expect_refused(client, raw, "invalid_message");
    finish(daemon);
}

TEST_CASE("invalid_message: a join whose mode or interests are out of bounds",
          "[errors_test][e2e]") {
    daemon_process daemon({{"matching.max_interests", 4}});
    auto client = open_client(daemon);
    const std::vector<json> refused = {
        {{"type", "join"}, {"mode", "audio"}},
        {{"type", "join"}, {"mode", "TEXT"}},
        {{"type", "join"}, {"mode", 1}},
        {{"type", "join"}, {"mode", nullptr}},
        {{"type", "join"}, {"interests", "music"}},
        {{"type", "join"}, {"interests", {1}}},
        {{"type", "join"}, {"interests", {"music", nullptr}}},
        {{"type", "join"}, {"interests", {"a", "b", "c", "d", "e"}}},  // over max_interests
        {{"type", "join"}, {"interests", {""}}},                       // empty
        {{"type", "join"}, {"interests", {" \t "}}},                   // empty once trimmed
        {{"type", "join"}, {"interests", {std::string(33, 'x')}}},     // 33 bytes
        {{"type", "join"},
         {"interests", {"\xC3\xA9" + std::string(31, 'x')}}},   // 33 bytes, 32 characters
        {{"type", "join"}, {"interests", {"a\x01z"}}},          // control
        {{"type", "join"}, {"interests", {"a\x7fz"}}},          // DEL
        {{"type", "join"}, {"interests", {"a\xE2\x80\x8Bz"}}},  // U+200B zero width space
        {{"type", "join"}, {"interests", {"a\xEF\xBB\xBFz"}}},  // U+FEFF zero width no-break space
        {{"type", "join"}, {"interests", {"a\xE2\x80\xAEz"}}},  // U+202E right-to-left override
        {{"type", "join"}, {"interests", {"a\xE2\x81\xA6z"}}},  // U+2066 left-to-right isolate
    };
    for (const auto& message : refused) expect_refused(client, message, "invalid_message", "join");

    // Still idle after all of them: the boundaries themselves are accepted
    // (max_interests interests, 32 bytes, 32 bytes once trimmed).
    join(client, "text", {std::string(32, 'x'), " " + std::string(32, 'y') + "\t", "c", "d"});
    client.send_json({{"type", "leave"}});
    expect_message(client, {{"type", "left"}});
    finish(daemon);
}

TEST_CASE("invalid_message: offer, answer and candidate without their field",
          "[errors_test][e2e]") {
    daemon_process daemon;
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    expect_refused(a, json{{"type", "offer"}}, "invalid_message", "offer");
    expect_refused(a, json{{"type", "offer"}, {"sdp", 5}}, "invalid_message", "offer");
    expect_refused(a, json{{"type", "answer"}, {"sdp", nullptr}}, "invalid_message", "answer");
    expect_refused(a, json{{"type", "answer"}, {"sdp", {{"sdp", "v=0"}}}}, "invalid_message",
                   "answer");
    expect_refused(a, json{{"type", "candidate"}}, "invalid_message", "candidate");
    expect_only_marker(a, b, "501");
    finish(daemon);
}

TEST_CASE("unknown_type: a type the client may not send", "[errors_test][e2e]") {
    daemon_process daemon;
    auto client = open_client(daemon);
    for (const std::string type : {"hello", "waiting", "matched", "pong", "error", "left",
                                   "partner_left", "resumed", "draining", "fly", "PING", "Join"})
        expect_refused(client, json{{"type", type}}, "unknown_type", type);
    finish(daemon);
}

TEST_CASE("bad_state: a message the state does not allow", "[errors_test][e2e]") {
    daemon_process daemon;
    auto client = open_client(daemon);
    expect_refused(client, json{{"type", "next"}}, "bad_state", "next");
    join(client);
    expect_refused(client, join_message("text"), "bad_state", "join");
    finish(daemon);
}

TEST_CASE("invalid_sdp: grammar, control characters, size and text-mode media",
          "[errors_test][e2e]") {
    daemon_process daemon({{"limits.max_sdp_bytes", 4096}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b, "text");
    ws_client& offerer = pairing.offerer(a, b);
    ws_client& answerer = pairing.answerer(a, b);

    const std::string head = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
    const std::vector<std::string> malformed = {
        "",
        "v=1\r\n",
        "o=- 1 2 IN IP4 0.0.0.0\r\nv=0\r\n",  // does not start with v=0
        " v=0\r\n",
        head + "not a line\r\n",
        head + "=value\r\n",
        head + "ab=value\r\n",
        head + "1=value\r\n",
        head + "a=x\x01y\r\n",  // control character
        head + "a=x\x1by\r\n",
        head + "a=x\ry\r\n",                  // bare CR inside a line
        head + std::string("a=x\0y\r\n", 7),  // NUL
        sdp_of_size(4097),                    // one byte over max_sdp_bytes
        head + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
        head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
        head +
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nm=video 9 UDP/TLS/RTP/SAVPF "
            "96\r\n",
        video_sdp(),
    };
    for (const auto& sdp : malformed) {
        expect_refused(offerer, offer(sdp), "invalid_sdp", "offer");
        expect_refused(answerer, json{{"type", "answer"}, {"sdp", sdp}}, "invalid_sdp", "answer");
    }
    expect_only_marker(offerer, answerer, "601");
    expect_only_marker(answerer, offerer, "602");

    // The boundary: exactly max_sdp_bytes is relayed.
    const auto largest = sdp_of_size(4096);
    offerer.send_json(offer(largest));
    expect_message(answerer, offer(largest));
    finish(daemon);
}

TEST_CASE("invalid_candidate: every candidate field out of bounds", "[errors_test][e2e]") {
    daemon_process daemon;
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b, "video");
    const std::string line = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";
    const std::vector<json> refused = {
        {{"candidate", "1 1 udp 2122260223 192.0.2.10 54400 typ host"},
         {"sdpMid", "0"}},  // no candidate: prefix
        {{"candidate", "Candidate:1 1 udp 1 192.0.2.10 1 typ host"}, {"sdpMid", "0"}},
        {{"candidate", "candidate:" + std::string(1015, '1')}, {"sdpMid", "0"}},  // 1025 bytes
        {{"candidate", 5}, {"sdpMid", "0"}},
        {{"sdpMid", "0"}},      // no candidate string
        {{"candidate", line}},  // neither sdpMid nor sdpMLineIndex
        {{"candidate", line}, {"sdpMid", nullptr}, {"sdpMLineIndex", nullptr}},
        {{"candidate", line}, {"sdpMLineIndex", 256}},
        {{"candidate", line}, {"sdpMLineIndex", -1}},
        {{"candidate", line}, {"sdpMLineIndex", 1.5}},
        {{"candidate", line}, {"sdpMLineIndex", "0"}},
        {{"candidate", line}, {"sdpMid", std::string(65, 'm')}},
        {{"candidate", line}, {"sdpMid", 0}},
        {{"candidate", line}, {"sdpMid", "0"}, {"usernameFragment", std::string(257, 'u')}},
        {{"candidate", line}, {"sdpMid", "0"}, {"usernameFragment", 7}},
    };
    for (const auto& init : refused)
        expect_refused(a, candidate(init), "invalid_candidate", "candidate");
    expect_only_marker(a, b, "701");

    // The boundaries are relayed.
    const json largest = {{"candidate", "candidate:" + std::string(1014, '1')},
                          {"sdpMid", std::string(64, 'm')},
                          {"sdpMLineIndex", 255},
                          {"usernameFragment", std::string(256, 'u')}};
    a.send_json(candidate(largest));
    expect_message(b, candidate(largest));
    finish(daemon);
}
