// The daemon never logs addresses, ports, tokens, interests, SDP or
// candidates, at any level (PROTOCOL.md: Privacy; issue 2, Logging). The
// test daemon logs at debug level; a full session and every refusal path
// carry distinctive markers, and none of them may reach its stderr.

#include "helpers.hpp"

#include <string>
#include <vector>

using namespace onymous::test;

namespace {

// Markers that cannot appear in a log line by accident.
const std::string interest_marker = "zqinterestmarker";
const std::string sdp_marker = "zqsdpmarker";
const std::string candidate_marker = "zqcandmarker";
const std::string token_marker = "zqtokenmarker";
const std::string origin_marker = "zqoriginmarker";
const std::string path_marker = "zqpathmarker";
const std::string sdp_address = "203.0.113.77";
const std::string candidate_address = "198.51.100.99";

std::string marked_sdp(std::string_view tag) {
    return "v=0\r\no=- 99 2 IN IP4 " + sdp_address + "\r\ns=" + sdp_marker + std::string(tag) +
           "\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 " +
           sdp_address + "\r\na=ice-ufrag:" + sdp_marker + "\r\na=mid:0\r\n";
}

json marked_candidate(std::string_view tag) {
    return {{"candidate", "candidate:77 1 udp 2122260223 " + candidate_address +
                              " 61234 typ host ufrag " + candidate_marker + std::string(tag)},
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

}  // namespace

TEST_CASE("no address, port, token, interest, SDP or candidate reaches the log",
          "[privacy_test][e2e]") {
    daemon_process daemon({{"allowed_origins", json::array({"https://ok.onymous.example"})},
                           {"limits.max_message_bytes", 4096}});
    std::vector<std::string> forbidden = {interest_marker, sdp_marker,       candidate_marker,
                                          token_marker,    origin_marker,    path_marker,
                                          sdp_address,     candidate_address};
    std::vector<std::uint16_t> client_ports;
    connect_options options;
    options.origin = "https://ok.onymous.example";

    // A full session: join with interests, pairing, offer, answer, candidates,
    // end of candidates, next, leave, and a close.
    auto a = open_client(daemon, options);
    connect_options plain = options;
    plain.tls = false;
    auto b = open_client(daemon, plain);
    for (auto* client : {&a, &b}) {
        client_ports.push_back(client->local_port());
        forbidden.push_back(client->history().front()["resume"].get<std::string>());
    }
    const auto pairing = pair(a, b, "text", {interest_marker, "shared" + interest_marker},
                              {"Shared" + interest_marker, interest_marker + "b"});
    ws_client& offerer = pairing.offerer(a, b);
    ws_client& answerer = pairing.answerer(a, b);
    offerer.send_json({{"type", "offer"}, {"sdp", marked_sdp("o")}});
    expect_type(answerer, "offer");
    answerer.send_json({{"type", "answer"}, {"sdp", marked_sdp("a")}});
    expect_type(offerer, "answer");
    offerer.send_json({{"type", "candidate"}, {"candidate", marked_candidate("o")}});
    expect_type(answerer, "candidate");
    offerer.send_json({{"type", "candidate"}, {"candidate", nullptr}});
    expect_type(answerer, "candidate");

    // Every refusal, each carrying markers.
    offerer.send_json(
        {{"type", "offer"}, {"sdp", marked_sdp("v") + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"}});
    expect_error(offerer, "invalid_sdp", "offer");
    offerer.send_json({{"type", "offer"}, {"sdp", "x" + marked_sdp("g")}});
    expect_error(offerer, "invalid_sdp", "offer");
    json bad_candidate = marked_candidate("bad");
    bad_candidate["candidate"] = "cand " + candidate_address + " " + candidate_marker;
    offerer.send_json({{"type", "candidate"}, {"candidate", bad_candidate}});
    expect_error(offerer, "invalid_candidate", "candidate");
    offerer.send_text("{\"type\":\"offer\",\"sdp\":\"" + sdp_marker + " " +
                      sdp_address);  // not JSON
    expect_error(offerer, "bad_json");
    offerer.send_json({{"type", sdp_marker}, {"sdp", marked_sdp("u")}});
    expect_error(offerer, "unknown_type", sdp_marker);
    offerer.send_json({{"type", "resume"}, {"token", token_marker}, {"last_seq", 3}});
    expect_error(offerer, "bad_state", "resume");
    offerer.send_json({{"type", "join"}, {"interests", {interest_marker + "again"}}});
    expect_error(offerer, "bad_state", "join");

    answerer.send_json({{"type", "next"}});
    expect_type(answerer, "waiting");
    expect_type(offerer, "partner_left");
    offerer.send_json(
        {{"type", "candidate"}, {"candidate", marked_candidate("late")}});  // dropped silently
    ping_pong(offerer);

    auto c = open_client(daemon, options);
    client_ports.push_back(c.local_port());
    forbidden.push_back(c.history().front()["resume"].get<std::string>());
    c.send_json({{"type", "join"},
                 {"mode", "text"},
                 {"interests", {std::string(40, 'z') + interest_marker}}});
    expect_error(c, "invalid_message", "join");
    c.send_json({{"type", "join"}, {"mode", "video"}, {"interests", {interest_marker}}});
    expect_type(c, "waiting");
    c.send_json({{"type", "leave"}});
    expect_type(c, "left");
    answerer.send_json({{"type", "leave"}});
    expect_type(answerer, "left");

    // Connections that end badly: binary, invalid UTF-8 with markers, oversize.
    auto d = open_client(daemon, options);
    client_ports.push_back(d.local_port());
    d.send_binary(sdp_marker + candidate_address);
    expect_closed(d, 1003);
    auto e = open_client(daemon, plain);
    client_ports.push_back(e.local_port());
    e.send_text("{\"sdp\":\"" + sdp_marker + "\xC3\x28\"}");
    expect_closed(e, 1007);
    auto f = open_client(daemon, options);
    client_ports.push_back(f.local_port());
    f.send_text("{\"type\":\"offer\",\"sdp\":\"" + sdp_marker + std::string(5000, 'x') + "\"}");
    expect_closed(f, 1009);
    auto g = open_client(daemon, options);
    client_ports.push_back(g.local_port());
    g.drop();

    // HTTP refusals with markers in the path, the Origin and the headers.
    const auto port = daemon.tls_port();
    REQUIRE(http_exchange(port, true, upgrade_request("/" + path_marker + "?token=" + token_marker))
                .status == 404);
    REQUIRE(http_exchange(port, true,
                          upgrade_request("/ws", {"Origin: https://" + origin_marker + ".example"}))
                .status == 403);
    REQUIRE(
        http_exchange(port, true, "GET /ws HTTP/1.1\r\nHost " + path_marker + "\r\n\r\n").status ==
        400);
    REQUIRE(http_exchange(port, true,
                          upgrade_request("/ws", {"Origin: https://ok.onymous.example",
                                                  "X-Forwarded-For: " + candidate_address}))
                .status == 101);

    a.close();
    b.close();
    finish(daemon);  // stops it: every log line is written
    const auto log = daemon.log();
    INFO("daemon stderr:\n" << log);
    // Something was logged at debug level, so the check below means something.
    REQUIRE_FALSE(log.empty());
    for (const auto& secret : forbidden) {
        INFO("found in the log: " << secret);
        REQUIRE(log.find(secret) == std::string::npos);
    }
    for (const auto client_port : client_ports) {
        INFO("client port " << client_port << " found in the log");
        REQUIRE_FALSE(contains_number(log, std::to_string(client_port)));
    }
}
