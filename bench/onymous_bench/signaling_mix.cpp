#include "signaling_mix.hpp"

#include <algorithm>

namespace onymous::bench {

namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::string_view node_prefix = "a=x-bench-node:";

/// The part of a Chrome-like video offer or answer shared by both.
std::string base_sdp(bool offer) {
    const std::string ufrag = offer ? "abcd" : "efgh";
    const std::string setup = offer ? "actpass" : "active";
    const std::string stream =
        offer ? "5d0c1f3e-0f2a-4c1b-9a5e-8e9b0f3c2a11" : "9e4b7a2c-3d1f-4e8a-b6c5-1a2b3c4d5e6f";
    const std::string transport =
        "c=IN IP4 0.0.0.0\r\n"
        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:" +
        ufrag +
        "\r\n"
        "a=ice-pwd:4Vd8XbSq1mTz0nKp7RcY2wLf\r\n"
        "a=ice-options:trickle\r\n"
        "a=fingerprint:sha-256 "
        "3B:9A:51:0C:7E:D2:44:18:AF:60:25:C3:8E:1B:F7:09:52:DE:6A:B4:11:7F:C8:33:90:4E:2D:A5:6C:"
        "E1:08:7B\r\n"
        "a=setup:" +
        setup + "\r\n";
    std::string sdp;
    sdp += "v=0\r\n";
    sdp += offer ? "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
                 : "o=- 7382910456128374650 2 IN IP4 127.0.0.1\r\n";
    sdp += "s=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\n";
    sdp += "a=msid-semantic: WMS " + stream + "\r\n";
    sdp += "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n" + transport;
    sdp +=
        "a=mid:0\r\n"
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
        "a=extmap:3 "
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
        "a=sendrecv\r\n";
    sdp += "a=msid:" + stream + " 8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b\r\n";
    sdp +=
        "a=rtcp-mux\r\n"
        "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
        "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
        "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"
        "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:13 CN/8000\r\na=rtpmap:110 telephone-event/48000\r\n"
        "a=rtpmap:126 telephone-event/8000\r\n"
        "a=ssrc:1001 cname:Qx7bN2pLr9sT4vWk\r\n";
    sdp += "a=ssrc:1001 msid:" + stream + " 8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b\r\n";
    sdp +=
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125\r\n" + transport;
    sdp +=
        "a=mid:1\r\n"
        "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
        "a=extmap:13 urn:3gpp:video-orientation\r\n"
        "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
        "a=sendrecv\r\n";
    sdp += "a=msid:" + stream + " 2b3c4d5e-6f70-8192-a3b4-c5d6e7f80912\r\n";
    sdp +=
        "a=rtcp-mux\r\na=rtcp-rsize\r\n"
        "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 transport-cc\r\n"
        "a=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
        "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n";
    return sdp;
}

/// One more video codec block (H.264 profiles), to grow an SDP.
std::string codec_block(int payload) {
    const std::string pt = std::to_string(payload);
    return "a=rtpmap:" + pt + " H264/90000\r\na=rtcp-fb:" + pt + " goog-remb\r\na=rtcp-fb:" + pt +
           " transport-cc\r\na=rtcp-fb:" + pt + " nack pli\r\na=fmtp:" + pt +
           " level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";
}

/// The offer or answer, exactly `bytes` long: codec blocks while they fit,
/// the ssrc lines, then one padding attribute (an a= line any parser skips).
std::string make_sdp(bool offer, std::size_t bytes, int node) {
    std::string sdp = base_sdp(offer);
    std::string tail =
        "a=ssrc-group:FID 2001 2002\r\na=ssrc:2001 cname:Qx7bN2pLr9sT4vWk\r\n"
        "a=ssrc:2002 cname:Qx7bN2pLr9sT4vWk\r\n";
    if (node >= 0) {
        // Three digits whatever the node, so that every node's SDP has the
        // same codec blocks and padding.
        const std::string digits = std::to_string(1000 + node % 1000).substr(1);
        tail += std::string(node_prefix) + digits + "\r\n";
    }
    constexpr std::string_view pad_prefix = "a=x-bench-pad:";
    const std::size_t reserve = tail.size() + pad_prefix.size() + crlf.size() + 1;
    for (int pt = 102; pt < 128; ++pt) {
        const std::string block = codec_block(pt);
        if (sdp.size() + block.size() + reserve > bytes) break;
        sdp += block;
    }
    sdp += tail;
    if (sdp.size() + pad_prefix.size() + crlf.size() < bytes) {
        const std::size_t fill = bytes - sdp.size() - pad_prefix.size() - crlf.size();
        sdp += pad_prefix;
        sdp.append(fill, 'x');
        sdp += crlf;
    }
    return sdp;
}

std::array<std::string, 4> make_candidates(bool offerer, bool relay_only) {
    const std::string ufrag = offerer ? "abcd" : "efgh";
    const std::string tail = " generation 0 ufrag " + ufrag + " network-id 1 network-cost 999";
    const std::string ports[4] = {offerer ? "46243" : "51872", offerer ? "49203" : "53390",
                                  offerer ? "61234" : "60117", offerer ? "58213" : "57004"};
    const std::string relay_udp = "candidate:3574150153 1 udp 41885695 127.0.0.1 ";
    const std::string relay_tcp = "candidate:2901281946 1 udp 8331263 127.0.0.1 ";
    const std::string related = " typ relay raddr 0.0.0.0 rport 0";
    std::array<std::string, 4> lines;
    if (relay_only) {
        lines[0] = relay_udp + ports[0] + related + tail;
        lines[1] = relay_tcp + ports[1] + related + tail;
    } else {
        lines[0] =
            "candidate:1467250027 1 udp 2122260223 127.0.0.1 " + ports[0] + " typ host" + tail;
        lines[1] = "candidate:842163049 1 udp 1677729535 127.0.0.1 " + ports[1] +
                   " typ srflx raddr 0.0.0.0 rport 0" + tail;
    }
    lines[2] = relay_udp + ports[2] + related + tail;
    lines[3] = relay_tcp + ports[3] + related + tail;
    return lines;
}

/// Candidate k of a side goes with m-line k % 2 (audio 0, video 1).
std::string candidate_init(const std::string& line, std::size_t k, std::string_view ufrag) {
    const std::string mid = std::to_string(k % 2);
    return R"({"candidate":)" + json_quote(line) + R"(,"sdpMid":")" + mid +
           R"(","sdpMLineIndex":)" + mid + R"(,"usernameFragment":")" + std::string(ufrag) + "\"}";
}

}  // namespace

std::string json_quote(std::string_view value) {
    std::string out = "\"";
    for (const char c : value) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\r': out += "\\r"; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
    out += '"';
    return out;
}

mix_bodies make_mix_bodies(std::size_t sdp_bytes, bool relay_only, int node) {
    const std::size_t bytes = std::clamp<std::size_t>(sdp_bytes, 1200, 32000);
    return {make_sdp(true, bytes, node), make_sdp(false, bytes, node),
            make_candidates(true, relay_only), make_candidates(false, relay_only)};
}

int node_mark(std::string_view text) {
    const std::size_t at = text.find(node_prefix);
    if (at == std::string_view::npos || at + node_prefix.size() + 3 > text.size()) return -1;
    int node = 0;
    for (const char c : text.substr(at + node_prefix.size(), 3)) {
        if (c < '0' || c > '9') return -1;
        node = node * 10 + (c - '0');
    }
    return node;
}

side_texts onymous_texts(const mix_bodies& bodies, bool offerer) {
    side_texts texts;
    const auto& candidates = offerer ? bodies.offerer_candidates : bodies.answerer_candidates;
    const std::string_view ufrag = offerer ? "abcd" : "efgh";
    for (std::size_t step = 0; step < mix_steps; ++step) {
        if (offerer_sends(step) != offerer) continue;
        switch (kind_of_step(step)) {
        case mix_kind::offer:
            texts.step[step] = R"({"type":"offer","sdp":)" + json_quote(bodies.offer_sdp) + "}";
            break;
        case mix_kind::answer:
            texts.step[step] = R"({"type":"answer","sdp":)" + json_quote(bodies.answer_sdp) + "}";
            break;
        case mix_kind::candidate:
            texts.step[step] = R"({"type":"candidate","candidate":)" +
                               candidate_init(candidates[(step - 2) / 2], step / 2, ufrag) + "}";
            break;
        }
    }
    return texts;
}

side_texts peerjs_texts(const mix_bodies& bodies, bool offerer, std::string_view peer_id,
                        std::string_view connection_id) {
    side_texts texts;
    const auto& candidates = offerer ? bodies.offerer_candidates : bodies.answerer_candidates;
    const std::string_view ufrag = offerer ? "abcd" : "efgh";
    const std::string common = R"(,"type":"media","connectionId":)" + json_quote(connection_id);
    const std::string dst = R"(,"dst":)" + json_quote(peer_id) + "}";
    for (std::size_t step = 0; step < mix_steps; ++step) {
        if (offerer_sends(step) != offerer) continue;
        switch (kind_of_step(step)) {
        case mix_kind::offer:
            texts.step[step] = R"({"type":"OFFER","payload":{"sdp":{"type":"offer","sdp":)" +
                               json_quote(bodies.offer_sdp) + "}" + common +
                               R"(,"browser":"chrome"})" + dst;
            break;
        case mix_kind::answer:
            texts.step[step] = R"({"type":"ANSWER","payload":{"sdp":{"type":"answer","sdp":)" +
                               json_quote(bodies.answer_sdp) + "}" + common +
                               R"(,"browser":"chrome"})" + dst;
            break;
        case mix_kind::candidate:
            texts.step[step] = R"({"type":"CANDIDATE","payload":{"candidate":)" +
                               candidate_init(candidates[(step - 2) / 2], step / 2, ufrag) +
                               common + "}" + dst;
            break;
        }
    }
    return texts;
}

std::string_view string_field(std::string_view text, std::string_view key) {
    // Appended piece by piece: g++ 12 warns (-Wrestrict, a false positive)
    // about "literal" + std::string here.
    std::string pattern(1, '"');
    pattern += key;
    pattern += "\":\"";
    const std::size_t at = text.find(pattern);
    if (at == std::string_view::npos) return {};
    const std::size_t begin = at + pattern.size();
    const std::size_t end = text.find('"', begin);
    if (end == std::string_view::npos) return {};
    return text.substr(begin, end - begin);
}

}  // namespace onymous::bench
