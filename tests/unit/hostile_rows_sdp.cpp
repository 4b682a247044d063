// Hostile rows about the fields of offer and answer (hostile_rows.hpp):
// decided by protocol::parse(), whatever the session's state ("fields before
// state"). Also the SDP and candidate builders of the tables.

#include "hostile_rows.hpp"

#include <array>
#include <tuple>

namespace onymous::test::hostile {

std::string text_sdp(const std::string& marker) {
    std::string sdp = "v=0\r\n";
    sdp += "o=- 46117314" + marker + " 2 IN IP4 0.0.0.0\r\n";
    sdp += "s=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n";
    sdp += "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n";
    sdp += "a=ice-ufrag:Xk2p\r\na=ice-pwd:0dHvNVa2fQ1Qcv+9XkO7lbGx\r\na=ice-options:trickle\r\n";
    sdp +=
        "a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:"
        "DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:79:F2\r\n";
    sdp += "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
    return sdp;
}

std::string video_sdp(const std::string& marker) {
    std::string sdp = "v=0\r\n";
    sdp += "o=- 46117314" + marker + " 2 IN IP4 0.0.0.0\r\n";
    sdp += "s=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\n";
    const std::array<std::string, 3> media = {
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"};
    for (std::size_t mid = 0; mid < media.size(); ++mid) {
        sdp += media[mid];
        sdp += "c=IN IP4 0.0.0.0\r\na=ice-ufrag:Xk2p\r\na=ice-pwd:0dHvNVa2fQ1Qcv+9XkO7lbGx\r\n";
        sdp += "a=setup:actpass\r\na=mid:" + std::to_string(mid) + "\r\n";
    }
    sdp += "a=rtpmap:111 opus/48000/2\r\n";
    return sdp;
}

json candidate_init(const std::string& marker, int foundation) {
    return {{"candidate", "candidate:" + std::to_string(foundation) +
                              " 1 udp 2122260223 192.0.2.10 54400 typ host generation 0 ufrag u" +
                              marker},
            {"sdpMid", "0"},
            {"sdpMLineIndex", 0},
            {"usernameFragment", "u" + marker}};
}

namespace {

void add_sdp(std::vector<row>& rows) {
    // offer and answer: the sdp field's type (invalid_message), then its content (invalid_sdp).
    const std::vector<std::tuple<const char*, start, std::string>> bad_sdp_fields = {
        {"no sdp", start::paired, R"({"type":"offer"})"},
        {"sdp 5", start::paired, R"({"type":"offer","sdp":5})"},
        {"sdp null", start::video, R"({"type":"answer","sdp":null})"},
        {"sdp true", start::paired, R"({"type":"answer","sdp":true})"},
        {"sdp []", start::paired, R"({"type":"offer","sdp":[]})"},
        {"sdp an array of a string", start::paired, R"({"type":"offer","sdp":["v=0\r\n"]})"},
        {"sdp an object", start::paired, R"({"type":"answer","sdp":{"sdp":"v=0\r\n"}})"},
        {"sdp 5 while idle (fields before state)", start::idle, R"({"type":"offer","sdp":5})"},
        {"no sdp in the trickle window", start::ended, R"({"type":"answer"})"},
    };
    for (const auto& [name, state, text] : bad_sdp_fields)
        rows.push_back(refused(std::string("sdp field: ") + name, state, text,
                               err("invalid_message", says::sdp_not_string,
                                   json::parse(text)["type"].get<std::string>())));

    // The grammar and the size (the text-mode m-line rows are session rows).
    const std::string h = head_sdp;
    const std::vector<std::tuple<const char*, std::string, std::string>> bad_sdps = {
        {"empty", "", says::sdp_no_v0},
        {"v=1", "v=1\r\n", says::sdp_no_v0},
        {"V=0", "V=0\r\n", says::sdp_no_v0},
        {"a space before v=0", " v=0\r\n", says::sdp_no_v0},
        {"a line feed before v=0", "\r\nv=0\r\n", says::sdp_no_v0},
        {"s= before v=0", "s=-\r\nv=0\r\n", says::sdp_no_v0},
        {"v= without 0", "v=\r\n", says::sdp_no_v0},
        {"v0", "v0\r\n", says::sdp_no_v0},
        {"plain text", "EVIL", says::sdp_no_v0},
        {"v=0 without a line ending", "v=0", says::sdp_no_eol},
        {"a last line without a line ending", h + "a=EVIL", says::sdp_no_eol},
        {"an empty line", h + "\r\n", says::sdp_line},
        {"an empty line at the end", h + "a=x\r\n\n", says::sdp_line},
        {"an upper-case type", h + "A=EVIL\r\n", says::sdp_line},
        {"a two-letter type", h + "ab=EVIL\r\n", says::sdp_line},
        {"a line without =", h + "a EVIL\r\n", says::sdp_line},
        {"a line starting with =", h + "=EVIL\r\n", says::sdp_line},
        {"a digit type", h + "1=EVIL\r\n", says::sdp_line},
        {"a non-ASCII type", h + "\xC3\xA9=EVIL\r\n", says::sdp_line},
        {"a tab", h + "a=EVIL\tx\r\n", says::sdp_control},
        {"a bare CR inside a line", h + "a=EVIL\rx\r\n", says::sdp_bare_cr},
        {"a CR at the end", h + "a=EVIL\r", says::sdp_bare_cr},
        // The CR starts a line of its own, which is no <letter>= line.
        {"LF CR", h + "a=EVIL\n\r", says::sdp_line},
        {"U+0001", h + "a=EVIL\x01\r\n", says::sdp_control},
        {"NUL", h + std::string("a=EVIL\0\r\n", 9), says::sdp_control},
        {"ESC", h + "a=EVIL\x1b[0m\r\n", says::sdp_control},
        {"DEL", h + "a=EVIL\x7f\r\n", says::sdp_control},
        {"U+0085", h + "a=EVIL\xC2\x85\r\n", says::sdp_control},
        {"U+009F", h + "a=EVIL\xC2\x9F\r\n", says::sdp_control},
        {"4097 bytes (max_sdp_bytes 4096)", sdp_of_size(4097), says::sdp_too_long},
        {"12000 bytes", sdp_of_size(12000), says::sdp_too_long},
    };
    bool as_offer = true;
    for (const auto& [name, sdp, message] : bad_sdps) {
        const std::string type = as_offer ? "offer" : "answer";
        rows.push_back(refused(std::string("sdp: ") + name, start::paired,
                               json{{"type", type}, {"sdp", sdp}}.dump(),
                               err("invalid_sdp", message, type)));
        as_offer = !as_offer;
    }
    rows.push_back(refused("sdp: grammar in video mode too", start::video,
                           offer_text(h + "M=video\r\n"),
                           err("invalid_sdp", says::sdp_line, "offer")));
    rows.push_back(refused("sdp: too large in video mode", start::video,
                           answer_text(sdp_of_size(4097)),
                           err("invalid_sdp", says::sdp_too_long, "answer")));
    rows.push_back(refused("sdp: an escaped NUL", start::paired,
                           R"({"type":"offer","sdp":"v=0\r\na=EVIL\u0000\r\n"})",
                           err("invalid_sdp", says::sdp_control, "offer")));
    rows.push_back(refused("sdp: invalid while idle (content before state)", start::idle,
                           offer_text("x"), err("invalid_sdp", says::sdp_no_v0, "offer")));
    rows.push_back(refused("sdp: too large while waiting (content before state)", start::waiting,
                           answer_text(sdp_of_size(5000)),
                           err("invalid_sdp", says::sdp_too_long, "answer")));
    rows.push_back(refused("sdp: invalid in the trickle window (content before the drop)",
                           start::requeued, offer_text("v=0\r\nEVIL"),
                           err("invalid_sdp", says::sdp_line, "offer")));
    {
        // Bytes are counted after JSON escapes: 2042 escaped é make 4096 bytes.
        const std::string tail = "a=x:p" + repeat("\xC3\xA9", 2042) + "\r\n";
        const std::string escaped = "a=x:p" + repeat("\\u00e9", 2042) + "\\r\\n";
        rows.push_back(relays("sdp: 4096 bytes written as 24000 escaped bytes", start::paired,
                              R"({"type":"offer","sdp":"v=0\r\n)" + escaped + R"("})",
                              offer_message("v=0\r\n" + tail)));
        rows.push_back(
            refused("sdp: 4097 bytes written with escapes", start::paired,
                    R"({"type":"offer","sdp":"v=0\r\na=x:)" + repeat("\\u00e9", 2043) + R"(\r\n"})",
                    err("invalid_sdp", says::sdp_too_long, "offer")));
    }
    const std::vector<std::tuple<const char*, start, std::string>> good_sdps = {
        {"exactly max_sdp_bytes", start::paired, sdp_of_size(4096)},
        {"v=0 and LF", start::paired, "v=0\n"},
        {"CRLF and LF mixed", start::paired, "v=0\ns=-\r\nt=0 0\n"},
        {"an empty value", start::paired, "v=0\r\ns=\r\n"},
        {"UTF-8 in values", start::paired, "v=0\r\ns=\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80\r\n"},
    };
    for (const auto& [name, state, sdp] : good_sdps)
        rows.push_back(relays(std::string("sdp relayed: ") + name, state, answer_text(sdp),
                              answer_message(sdp)));
    rows.push_back(relays("sdp relayed: extra fields and a client seq are dropped", start::paired,
                          R"({"type":"offer","sdp":"v=0\r\n","seq":77,"EVIL":{"type":"join"}})",
                          offer_message("v=0\r\n")));
    rows.push_back(relays("sdp relayed: a duplicate sdp, the last counts", start::paired,
                          R"({"type":"offer","sdp":"EVIL","sdp":"v=0\r\n"})",
                          offer_message("v=0\r\n")));
}

}  // namespace

std::vector<row> sdp_rows() {
    std::vector<row> rows;
    add_sdp(rows);
    return rows;
}

}  // namespace onymous::test::hostile
