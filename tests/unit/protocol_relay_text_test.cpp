// Relayed messages as bytes: relay_text() plus append_seq() must give
// exactly the text that building the JSON message and dumping it gives.

#include <onymous/protocol/parse.hpp>
#include <onymous/protocol/relay_text.hpp>
#include <onymous/protocol/serialize.hpp>

#include <catch2/catch.hpp>

using namespace onymous::protocol;

namespace {

std::string sequenced(std::string text, std::uint64_t seq) {
    append_seq(text, seq);
    return text;
}

}  // namespace

TEST_CASE("relay_text of an SDP is finish(make_sdp) byte for byte", "[protocol][relay_text]") {
    for (const std::string& sdp : {std::string("v=0\r\ns=-\r\n"),
                                   std::string("v=0\r\na=x:\"quoted\" back\\slash\ttab é ✓\r\n"),
                                   std::string("v=0\ns=\x7f\n")}) {
        for (const auto kind : {sdp_kind::offer, sdp_kind::answer}) {
            const sdp_message m{kind, sdp};
            CHECK(sequenced(relay_text(m), 7) == finish(make_sdp(m), 7));
        }
    }
}

TEST_CASE("relay_text of a candidate is finish(make_candidate) byte for byte",
          "[protocol][relay_text]") {
    const std::string line = "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host generation 0";
    std::vector<candidate_message> cases;
    cases.push_back({});  // null
    cases.push_back({ice_candidate{"", std::string("0"), 0, std::nullopt}});
    cases.push_back({ice_candidate{line, std::string("0"), 0, std::string("abcd")}});
    cases.push_back({ice_candidate{line, std::nullopt, 255, std::nullopt}});
    cases.push_back({ice_candidate{line, std::string("data"), std::nullopt, std::string("u+/x")}});
    for (const auto& m : cases)
        CHECK(sequenced(relay_text(m), 18446744073709551615u) ==
              finish(make_candidate(m), 18446744073709551615u));
}

TEST_CASE("a relayed text is reserved once: no growth, in relay_text or append_seq",
          "[protocol][relay_text]") {
    // A frame is held for resume as it was built: a string that outgrew its
    // reservation doubled, and the history kept twice its bytes.
    const std::string line =
        "candidate:3574150153 1 udp 41885695 198.51.100.7 46243 typ relay raddr 0.0.0.0 rport 0 "
        "generation 0 ufrag abcd network-id 1 network-cost 999";
    std::vector<std::string> texts;
    texts.push_back(relay_text(candidate_message{}));
    texts.push_back(relay_text(
        candidate_message{ice_candidate{line, std::string("0"), 65535, std::string("abcd")}}));
    texts.push_back(
        relay_text(candidate_message{ice_candidate{line, std::nullopt, 0, std::nullopt}}));
    texts.push_back(relay_text(sdp_message{sdp_kind::offer, "v=0\r\ns=-\r\na=ice-ufrag:abcd\r\n"}));
    for (auto& text : texts) {
        INFO(text);
        const auto capacity = text.capacity();
        CHECK(capacity <= text.size() + 64);
        append_seq(text, 18446744073709551615u);
        CHECK(text.capacity() == capacity);
    }
}

TEST_CASE("append_json_string escapes as nlohmann does", "[protocol][relay_text]") {
    std::string all;
    for (int c = 1; c < 0x80; ++c) all.push_back(static_cast<char>(c));
    std::string out;
    append_json_string(out, all);
    CHECK(out == json(all).dump());
}

TEST_CASE("append_seq completes any server message", "[protocol][relay_text]") {
    std::string text = finish(make_left());
    append_seq(text, 1);
    CHECK(text == R"({"type":"left","seq":1})");
}
