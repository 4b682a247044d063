// Relay-only mode through the real daemon (PROTOCOL.md, Relay guarantees):
// hello asks for relay; the partner gets SDP with only relay candidates,
// their raddr/rport and every c= address blanked; non-relay candidates and
// relay candidates outside ice.relay_networks are dropped silently;
// end-of-candidates is relayed. The filter itself is unit-tested on
// browser-shaped SDP (tests/unit/relay_only_test.cpp).

#include "lifecycle.hpp"

#include <string>

using namespace onymous::test;

namespace {

const std::vector<config_override> relay_only_config = {
    {"ice.privacy", "relay_only"},
    {"ice.turn.urls", json::array({"turn:127.0.0.1:3478?transport=udp"})},
    {"ice.turn.secret", "relay-only-test-secret"},
    {"ice.relay_networks", json::array({"198.51.100.0/24", "2001:db8:ffff::/48"})},
};

std::string sdp_with_candidates(std::string_view setup) {
    return "v=0\r\n"
           "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
           "s=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
           "m=application 54400 UDP/DTLS/SCTP webrtc-datachannel\r\n"
           "c=IN IP4 203.0.113.5\r\n"
           "a=candidate:1 1 udp 2122260223 192.168.1.10 54400 typ host generation 0\r\n"
           "a=candidate:2 1 udp 2122260223 4d5c9f4a-7f6c-4b47-a4d1-2c4e1a7c3b8e.local 54401 typ "
           "host generation 0\r\n"
           "a=candidate:3 1 tcp 1518280447 2001:db8:1::10 9 typ host tcptype active\r\n"
           "a=candidate:4 1 udp 1686052607 203.0.113.5 54400 typ srflx raddr 192.168.1.10 rport "
           "54400\r\n"
           "a=candidate:5 1 udp 41885439 198.51.100.20 61000 typ relay raddr 203.0.113.5 rport "
           "54400 generation 0\r\n"
           "a=candidate:6 1 udp 25108223 2001:db8:ffff::20 62000 typ relay raddr 2001:db8:1::10 "
           "rport 54401\r\n"
           "a=candidate:7 1 udp 41885439 192.0.2.200 3478 typ relay raddr 203.0.113.5 rport "
           "54400\r\n"
           "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
           "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:"
           "3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
           "a=setup:" +
           std::string(setup) +
           "\r\na=mid:0\r\na=sctp-port:5000\r\n"
           "a=max-message-size:262144\r\n";
}

std::string scrubbed(std::string_view setup) {
    return "v=0\r\n"
           "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
           "s=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
           "m=application 54400 UDP/DTLS/SCTP webrtc-datachannel\r\n"
           "c=IN IP4 0.0.0.0\r\n"
           "a=candidate:5 1 udp 41885439 198.51.100.20 61000 typ relay raddr 0.0.0.0 rport 0 "
           "generation 0\r\n"
           "a=candidate:6 1 udp 25108223 2001:db8:ffff::20 62000 typ relay raddr :: rport 0\r\n"
           "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
           "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:"
           "3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
           "a=setup:" +
           std::string(setup) +
           "\r\na=mid:0\r\na=sctp-port:5000\r\n"
           "a=max-message-size:262144\r\n";
}

json candidate(std::string line) {
    return candidate_message({{"candidate", std::move(line)},
                              {"sdpMid", "0"},
                              {"sdpMLineIndex", 0},
                              {"usernameFragment", "EsAw"}});
}

}  // namespace

TEST_CASE("relay-only: hello asks for relay and hands out TURN credentials",
          "[relay_only_mode_test][e2e]") {
    daemon_process daemon(
        {relay_only_config[0], relay_only_config[1], relay_only_config[2], relay_only_config[3]});
    auto client = open_client(daemon);
    const json hello = client.history().front();
    INFO("hello: " << hello.dump());
    REQUIRE(hello.at("iceTransportPolicy") == "relay");
    REQUIRE(hello.at("iceServers").size() == 1);
    REQUIRE(hello.at("iceServers")[0].contains("username"));
    finish(daemon);
}

TEST_CASE("relay-only: the partner never gets a non-relay candidate or a client address",
          "[relay_only_mode_test][e2e]") {
    daemon_process daemon(
        {relay_only_config[0], relay_only_config[1], relay_only_config[2], relay_only_config[3]});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b);
    ws_client& offerer = pairing.offerer(a, b);
    ws_client& answerer = pairing.answerer(a, b);

    offerer.send_json(offer_message(sdp_with_candidates("actpass")));
    expect_message(answerer, offer_message(scrubbed("actpass")));
    answerer.send_json(answer_message(sdp_with_candidates("active")));
    expect_message(offerer, answer_message(scrubbed("active")));

    // Host (IPv4, mDNS, TCP), srflx, prflx, and a relay outside the relay
    // networks: dropped silently, no error to the sender.
    for (const std::string line :
         {"candidate:1 1 udp 2122260223 192.168.1.10 54400 typ host generation 0 ufrag EsAw",
          "candidate:2 1 udp 2122260223 4d5c9f4a-7f6c-4b47-a4d1-2c4e1a7c3b8e.local 54401 typ host",
          "candidate:3 1 tcp 1518280447 2001:db8:1::10 9 typ host tcptype active",
          "candidate:4 1 udp 1686052607 203.0.113.5 54400 typ srflx raddr 192.168.1.10 rport 54400",
          "candidate:8 1 udp 1845501695 203.0.113.9 50002 typ prflx raddr 192.168.7.20 rport 50002",
          "candidate:7 1 udp 41885439 192.0.2.200 3478 typ relay raddr 203.0.113.5 rport 54400"})
        offerer.send_json(candidate(line));
    REQUIRE(answerer.expect_silence(300ms));
    REQUIRE(offerer.expect_silence(50ms));

    // A relay candidate inside them arrives, its related address blanked;
    // then the end of candidates.
    offerer.send_json(candidate(
        "candidate:5 1 udp 41885439 198.51.100.20 61000 typ relay raddr 203.0.113.5 rport 54400 "
        "generation 0 ufrag EsAw"));
    expect_message(answerer,
                   candidate("candidate:5 1 udp 41885439 198.51.100.20 61000 typ relay raddr "
                             "0.0.0.0 rport 0 generation 0 ufrag EsAw"));
    offerer.send_json({{"type", "candidate"}, {"candidate", nullptr}});
    expect_message(answerer, {{"type", "candidate"}, {"candidate", nullptr}});
    REQUIRE(offerer.pending() == 0);
    finish(daemon);
}
