// offer/answer: the SDP grammar, its size bound and the text-mode m-line rule.
#include <onymous/protocol/parse.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

using namespace onymous::protocol;

namespace {

// Shaped like what Chromium sends for a data-channel-only (text) offer.
const std::string chrome_text_offer =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:sXP5\r\n"
    "a=ice-pwd:Pq4P2v6Ujw1ukGAq5h0YFa0T\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 5B:1D:0E:3F:9A:6C:52:42:8E:77:1A:8B:3C:9D:0E:1F:20:31:42:53:64:75:"
    "86:97:A8:B9:CA:DB:EC:FD:0E:1F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

// Shaped like what Firefox sends for an audio+video offer (LF-only is also tested).
const std::string firefox_video_offer =
    "v=0\r\n"
    "o=mozilla...THIS_IS_SDPARTA-99.0 7310425329461046592 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=fingerprint:sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:"
    "60:71:82:93:A4:B5:C6:D7:E8:F9\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=ice-options:trickle\r\n"
    "a=msid-semantic:WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=sendrecv\r\n"
    "a=mid:0\r\n"
    "a=rtpmap:109 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 120 124 121\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=sendrecv\r\n"
    "a=mid:1\r\n"
    "a=rtpmap:120 VP8/90000\r\n";

std::string offer_text(std::string_view sdp, const char* type = "offer") {
    return nlohmann::json{{"type", type}, {"sdp", sdp}}.dump();
}

std::string grammar(std::string_view sdp, std::size_t max = 32768) {
    return check_sdp_grammar(sdp, max);
}

// A valid SDP of exactly `size` bytes (size >= 9).
std::string sdp_of_size(std::size_t size) {
    const std::string head = "v=0\r\na=";
    return head + std::string(size - head.size() - 2, 'x') + "\r\n";
}

std::string lf_only(std::string sdp) {
    std::string out;
    for (const char c : sdp) {
        if (c != '\r') out += c;
    }
    return out;
}

}  // namespace

TEST_CASE("browser SDPs pass the grammar with CRLF, LF or both", "[protocol]") {
    CHECK(grammar(chrome_text_offer).empty());
    CHECK(grammar(firefox_video_offer).empty());
    CHECK(grammar(lf_only(firefox_video_offer)).empty());
    CHECK(grammar("v=0\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\nt=0 0\r\n").empty());
    CHECK(grammar("v=0\r\n").empty());
    CHECK(grammar("v=0\r\ns=\r\n").empty());                  // empty values are allowed
    CHECK(grammar("v=0\r\ns=Caf\u00E9 \u266B\r\n").empty());  // UTF-8 values are allowed
    CHECK(grammar("v=00\r\n").empty());                       // the contract: "starts with v=0"
}

TEST_CASE("offer and answer carry the SDP through unchanged", "[protocol]") {
    const auto offer = parse(offer_text(chrome_text_offer), parse_limits{});
    REQUIRE(std::holds_alternative<client_message>(offer));
    const auto& message = std::get<sdp_message>(std::get<client_message>(offer));
    CHECK(message.kind == sdp_kind::offer);
    CHECK(message.sdp == chrome_text_offer);

    const auto answer = parse(offer_text(firefox_video_offer, "answer"), parse_limits{});
    REQUIRE(std::holds_alternative<client_message>(answer));
    CHECK(std::get<sdp_message>(std::get<client_message>(answer)).kind == sdp_kind::answer);
}

TEST_CASE("the SDP size bound is max_sdp_bytes inclusive", "[protocol]") {
    CHECK(grammar(sdp_of_size(32768)).empty());
    CHECK(grammar(sdp_of_size(32769)) == "sdp is longer than maxSdpBytes");
    CHECK(grammar(sdp_of_size(100), 100).empty());
    CHECK(grammar(sdp_of_size(101), 100) == "sdp is longer than maxSdpBytes");
    // Size comes first, whatever else is wrong.
    CHECK(grammar(std::string(101, '\0'), 100) == "sdp is longer than maxSdpBytes");

    const parse_limits small{100, 10};
    CHECK(std::holds_alternative<client_message>(parse(offer_text(sdp_of_size(100)), small)));
    const auto refused = parse(offer_text(sdp_of_size(101)), small);
    REQUIRE(std::holds_alternative<parse_error>(refused));
    CHECK(std::get<parse_error>(refused).code == error_code::invalid_sdp);
    CHECK(std::get<parse_error>(refused).message == "sdp is longer than maxSdpBytes");
    CHECK(std::get<parse_error>(refused).ref == "offer");
}

TEST_CASE("an SDP must start with v=0", "[protocol]") {
    for (const char* sdp : {"", "v", "v=", "v=1\r\n", " v=0\r\n", "V=0\r\n", "\r\nv=0\r\n",
                            "o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n"}) {
        CHECK(grammar(sdp) == "sdp must start with v=0");
    }
}

TEST_CASE("every SDP line is a lower-case letter, =, a value and a line ending", "[protocol]") {
    const std::string bad_line = "sdp lines must be <letter>=<value> with a lower-case letter";
    for (const char* sdp : {"v=0\r\nA=x\r\n", "v=0\r\n1=x\r\n", "v=0\r\nab=x\r\n", "v=0\r\n\r\n",
                            "v=0\n\n", "v=0\r\na\r\n", "v=0\r\na", "v=0\r\n=x\r\n",
                            "v=0\r\n a=x\r\n", "v=0\r\n\u00E9=x\r\n", "v=0\r\ns=-\r\n\r\n"}) {
        INFO(sdp);
        CHECK(grammar(sdp) == bad_line);
    }
    CHECK(grammar("v=0") == "sdp must end with a line ending");
    CHECK(grammar("v=0\r\ns=-") == "sdp must end with a line ending");
    CHECK(grammar("v=0\r\na=") == "sdp must end with a line ending");
}

TEST_CASE("no control characters other than the line endings", "[protocol]") {
    const std::string control = "sdp contains a control character";
    CHECK(grammar("v=0\r\ns=a\tb\r\n") == control);
    CHECK(grammar(std::string("v=0\r\ns=a\0b\r\n", 12)) == control);
    CHECK(grammar("v=0\r\ns=a\x1F\r\n") == control);
    CHECK(grammar("v=0\r\ns=a\x7F\r\n") == control);
    CHECK(grammar("v=0\r\ns=a\u0085\r\n") == control);  // C1 (NEL)
    CHECK(grammar("v=0\r\ns=a\u009F\r\n") == control);
    CHECK(grammar("v=0\x0B\r\n") == control);

    const std::string lone_cr = "sdp has a carriage return without a line feed";
    CHECK(grammar("v=0\rs=-\r\n") == lone_cr);
    CHECK(grammar("v=0\r\r\n") == lone_cr);
    CHECK(grammar("v=0\r") == lone_cr);

    CHECK(grammar("v=0\r\ns=\xC3\x28\r\n") == "sdp is not valid UTF-8");
    CHECK(grammar("v=0\r\ns=\xED\xA0\x80\r\n") == "sdp is not valid UTF-8");
}

TEST_CASE("a missing or non-string sdp is invalid_message, a bad one invalid_sdp", "[protocol]") {
    for (const char* text :
         {R"({"type":"offer"})", R"({"type":"offer","sdp":null})",
          R"({"type":"offer","sdp":{"sdp":"v=0\r\n"}})", R"({"type":"offer","sdp":5})"}) {
        const auto result = parse(text, parse_limits{});
        REQUIRE(std::holds_alternative<parse_error>(result));
        const auto& error = std::get<parse_error>(result);
        CHECK(error.code == error_code::invalid_message);
        CHECK(error.message == "sdp must be a string");
        CHECK(error.ref == "offer");
    }
    const auto bad = parse(R"({"type":"answer","sdp":"v=0\r\nbad\r\n"})", parse_limits{});
    REQUIRE(std::holds_alternative<parse_error>(bad));
    CHECK(std::get<parse_error>(bad).code == error_code::invalid_sdp);
    CHECK(std::get<parse_error>(bad).message ==
          "sdp lines must be <letter>=<value> with a lower-case letter");
    CHECK(std::get<parse_error>(bad).ref == "answer");
}

TEST_CASE("text mode allows only m=application lines", "[protocol]") {
    const std::string refused = "text mode allows only m=application media";
    CHECK(check_sdp_mode(chrome_text_offer, chat_mode::text).empty());
    CHECK(check_sdp_mode(lf_only(chrome_text_offer), chat_mode::text).empty());
    CHECK(check_sdp_mode("v=0\r\ns=-\r\n", chat_mode::text).empty());  // no media at all
    CHECK(check_sdp_mode(firefox_video_offer, chat_mode::text) == refused);
    CHECK(check_sdp_mode(lf_only(firefox_video_offer), chat_mode::text) == refused);
    CHECK(check_sdp_mode("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", chat_mode::text) == refused);
    CHECK(check_sdp_mode("v=0\r\nm=applicationx 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",
                         chat_mode::text) == refused);
    CHECK(check_sdp_mode("v=0\r\nm=application\r\n", chat_mode::text) == refused);
    CHECK(check_sdp_mode("v=0\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\nm=audio 9 x\n",
                         chat_mode::text) == refused);
    // "m=" inside a value does not start a line.
    CHECK(check_sdp_mode("v=0\r\na=x m=audio\r\n", chat_mode::text).empty());
    CHECK(check_sdp_mode(firefox_video_offer, chat_mode::video).empty());
    CHECK(check_sdp_mode(chrome_text_offer, chat_mode::video).empty());
}
