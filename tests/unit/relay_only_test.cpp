// Relay-only mode's line filter (relay/relay_only) on SDP shaped as Chrome
// and Firefox write it, offers and answers: host (IPv4, IPv6, mDNS), TCP,
// srflx, prflx and relay candidates, c= and a=rtcp: lines. Only relay
// candidates remain, their related address blanked; c= and a=rtcp:
// addresses are blanked; every other byte stays as it was.

#include <onymous/relay/relay_only.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <string>
#include <string_view>

using namespace onymous;

// Counts the allocations of this thread while `counting` is set, to show
// that the filter allocates nothing once its output buffer has room. Not
// under the sanitizers, whose own operator new must stay in place.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ONYMOUS_COUNT_ALLOCATIONS 0
#else
#define ONYMOUS_COUNT_ALLOCATIONS 1
#endif

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace

#if ONYMOUS_COUNT_ALLOCATIONS
void* operator new(std::size_t size) {
    if (counting) ++allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

std::string crlf(std::initializer_list<std::string_view> lines) {
    std::string out;
    for (const auto line : lines) {
        out += line;
        out += "\r\n";
    }
    return out;
}

std::string filtered(const relay::relay_only_filter& filter, std::string_view sdp) {
    std::string out;
    filter.filter_sdp(sdp, out);
    return out;
}

/// The filtered candidate, or "dropped".
std::string candidate(const relay::relay_only_filter& filter, std::string_view line) {
    std::string out;
    if (!filter.filter_candidate(line, out)) {
        REQUIRE(out.empty());
        return "dropped";
    }
    return out;
}

const relay::relay_only_filter any_relay;
const relay::relay_only_filter operator_relays(address::network_set({"198.51.100.0/24",
                                                                     "2001:db8:ffff::/48"}));

// Chrome, audio + video + data, ICE gathering complete: the default
// candidate's address in c=, host (IPv4, IPv6, TCP), srflx and relay
// candidates whose raddr is the user's own address.
const std::string chrome_offer = crlf({
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1 2",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS 3d2f0c4e-7a55-4c3b-9d2e-1f2a3b4c5d6e",
    "m=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 203.0.113.5",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=candidate:1467250027 1 udp 2122260223 192.168.1.10 54400 typ host generation 0 "
    "network-id 1 network-cost 10",
    "a=candidate:3442447574 1 udp 2122262783 2001:db8:1::10 54401 typ host generation 0 "
    "network-id 2 network-cost 10",
    "a=candidate:2999745851 1 tcp 1518280447 192.168.1.10 9 typ host tcptype active "
    "generation 0 network-id 1 network-cost 10",
    "a=candidate:3853216561 1 udp 1686052607 203.0.113.5 54400 typ srflx raddr 192.168.1.10 "
    "rport 54400 generation 0 network-id 1 network-cost 10",
    "a=candidate:1234567890 1 udp 41885439 198.51.100.20 61000 typ relay raddr 203.0.113.5 "
    "rport 54400 generation 0 network-id 1 network-cost 10",
    "a=candidate:987654321 1 udp 25108223 2001:db8:ffff::20 62000 typ relay raddr "
    "2001:db8:1::10 rport 54401 generation 0 network-id 2 network-cost 10",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:"
    "34:8E:5E:EA:6F:AF:52:CE:E6:0F",
    "a=setup:actpass",
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=sendrecv",
    "a=msid:3d2f0c4e-7a55-4c3b-9d2e-1f2a3b4c5d6e 8a1b2c3d-0000-4000-8000-000000000001",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=ssrc:1001 cname:4TOk42mSjXCkVIa6",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
    "a=ice-options:trickle",
    "a=setup:actpass",
    "a=mid:1",
    "a=sendrecv",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
    "a=ice-options:trickle",
    "a=setup:actpass",
    "a=mid:2",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
});

const std::string chrome_offer_filtered = crlf({
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1 2",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS 3d2f0c4e-7a55-4c3b-9d2e-1f2a3b4c5d6e",
    "m=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=candidate:1234567890 1 udp 41885439 198.51.100.20 61000 typ relay raddr 0.0.0.0 "
    "rport 0 generation 0 network-id 1 network-cost 10",
    "a=candidate:987654321 1 udp 25108223 2001:db8:ffff::20 62000 typ relay raddr "
    ":: rport 0 generation 0 network-id 2 network-cost 10",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:"
    "34:8E:5E:EA:6F:AF:52:CE:E6:0F",
    "a=setup:actpass",
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=sendrecv",
    "a=msid:3d2f0c4e-7a55-4c3b-9d2e-1f2a3b4c5d6e 8a1b2c3d-0000-4000-8000-000000000001",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=ssrc:1001 cname:4TOk42mSjXCkVIa6",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
    "a=ice-options:trickle",
    "a=setup:actpass",
    "a=mid:1",
    "a=sendrecv",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
    "a=ice-options:trickle",
    "a=setup:actpass",
    "a=mid:2",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
});

// Chrome's answer, data only, with mDNS host candidates (and the srflx and
// relay candidates Chrome then writes with a blank raddr), a prflx
// candidate, a TCP srflx one, and a relay whose raddr is real.
const std::string chrome_answer = crlf({
    "v=0",
    "o=- 8342180032411956021 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS",
    "m=application 50001 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 203.0.113.9",
    "b=AS:30",
    "a=candidate:3442447574 1 udp 2122260223 6a0c9e0b-8f7e-4b11-9a5c-77d1f0c2e3a4.local 50001 "
    "typ host generation 0 network-id 1 network-cost 10",
    "a=candidate:559267639 1 tcp 1518280447 6a0c9e0b-8f7e-4b11-9a5c-77d1f0c2e3a4.local 9 typ "
    "host tcptype active generation 0 network-id 1 network-cost 10",
    "a=candidate:842163049 1 udp 1686052607 203.0.113.9 50001 typ srflx raddr 0.0.0.0 rport 0 "
    "generation 0 network-id 1 network-cost 10",
    "a=candidate:1845501695 1 udp 1845501695 203.0.113.9 50002 typ prflx raddr 192.168.7.20 "
    "rport 50002 generation 0 network-id 1 network-cost 10",
    "a=candidate:4233069003 1 tcp 1518214911 203.0.113.9 50003 typ srflx raddr 192.168.7.20 "
    "rport 50003 tcptype passive generation 0 network-id 1 network-cost 10",
    "a=candidate:2157334355 1 udp 33562367 198.51.100.30 63000 typ relay raddr 0.0.0.0 rport 0 "
    "generation 0 network-id 1 network-cost 10",
    "a=candidate:1730000000 1 udp 16777215 198.51.100.31 63001 typ relay raddr 192.168.7.20 "
    "rport 50001 generation 0 network-id 1 network-cost 10",
    "a=ice-ufrag:Wn3k",
    "a=ice-pwd:3e9FbRkq1rXc4J0cYlm8oTdS",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 4B:7E:1A:19:83:AA:5D:02:6C:F1:40:B9:2E:77:D3:0C:91:E8:6A:B5:0F:13:"
    "C4:28:DD:71:3A:9E:0B:46:F2:85",
    "a=setup:active",
    "a=mid:0",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
});

const std::string chrome_answer_filtered = crlf({
    "v=0",
    "o=- 8342180032411956021 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS",
    "m=application 50001 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "b=AS:30",
    "a=candidate:2157334355 1 udp 33562367 198.51.100.30 63000 typ relay raddr 0.0.0.0 rport 0 "
    "generation 0 network-id 1 network-cost 10",
    "a=candidate:1730000000 1 udp 16777215 198.51.100.31 63001 typ relay raddr 0.0.0.0 "
    "rport 0 generation 0 network-id 1 network-cost 10",
    "a=ice-ufrag:Wn3k",
    "a=ice-pwd:3e9FbRkq1rXc4J0cYlm8oTdS",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 4B:7E:1A:19:83:AA:5D:02:6C:F1:40:B9:2E:77:D3:0C:91:E8:6A:B5:0F:13:"
    "C4:28:DD:71:3A:9E:0B:46:F2:85",
    "a=setup:active",
    "a=mid:0",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
});

// Firefox, audio + data: mDNS host candidates (UDP and TCP, RTP and RTCP
// components), srflx, relay, a=rtcp: carrying the default candidate, an
// IPv6 m-line with IPv6 c=, a=rtcp:, host and relay candidates, and
// a=end-of-candidates.
const std::string firefox_offer = crlf({
    "v=0",
    "o=mozilla...THIS_IS_SDPARTA-115.0 7518475012357889734 0 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=sendrecv",
    "a=fingerprint:sha-256 8E:3C:57:9A:02:B1:64:DD:1F:70:CE:45:A8:0B:93:6E:21:F4:7D:58:C2:39:"
    "AA:10:E6:8F:4B:D5:03:77:9C:E1",
    "a=group:BUNDLE 0 1",
    "a=ice-options:trickle",
    "a=msid-semantic:WMS *",
    "m=audio 54321 UDP/TLS/RTP/SAVPF 109 9 0 8 101",
    "c=IN IP4 203.0.113.5",
    "a=candidate:0 1 UDP 2122252543 a1b2c3d4-1111-2222-3333-444455556666.local 54321 typ host",
    "a=candidate:4 1 TCP 2105524479 a1b2c3d4-1111-2222-3333-444455556666.local 9 typ host "
    "tcptype active",
    "a=candidate:1 1 UDP 1686052863 203.0.113.5 54321 typ srflx raddr 0.0.0.0 rport 0",
    "a=candidate:3 1 UDP 92217087 198.51.100.20 50123 typ relay raddr 203.0.113.5 rport 54321",
    "a=candidate:0 2 UDP 2122252542 a1b2c3d4-1111-2222-3333-444455556666.local 54322 typ host",
    "a=candidate:1 2 UDP 1686052862 203.0.113.5 54322 typ srflx raddr 0.0.0.0 rport 0",
    "a=candidate:3 2 UDP 92217086 198.51.100.20 50124 typ relay raddr 203.0.113.5 rport 54322",
    "a=sendrecv",
    "a=end-of-candidates",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1",
    "a=fmtp:101 0-15",
    "a=ice-pwd:6f5b3cf4a8e0d1c2b3a4958677e8f901",
    "a=ice-ufrag:9c0e14a2",
    "a=mid:0",
    "a=msid:{5a3c6d2e-1f0b-4c8a-9e7d-3b2a1c0d9e8f} {0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e}",
    "a=rtcp:54322 IN IP4 203.0.113.5",
    "a=rtcp-fb:109 nack",
    "a=rtcp-mux",
    "a=rtpmap:109 opus/48000/2",
    "a=rtpmap:101 telephone-event/8000/1",
    "a=setup:actpass",
    "a=ssrc:2716430327 cname:{7e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9}",
    "m=application 54325 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP6 2001:db8:1::10",
    "a=candidate:5 1 UDP 2122187007 2001:db8:1::10 54325 typ host",
    "a=candidate:6 1 UDP 8331263 2001:db8:ffff::21 50200 typ relay raddr 2001:db8:1::10 rport "
    "54325",
    "a=rtcp:54326 IN IP6 2001:db8:1::10",
    "a=sendrecv",
    "a=end-of-candidates",
    "a=ice-pwd:6f5b3cf4a8e0d1c2b3a4958677e8f901",
    "a=ice-ufrag:9c0e14a2",
    "a=mid:1",
    "a=setup:actpass",
    "a=sctp-port:5000",
    "a=max-message-size:1073741823",
});

const std::string firefox_offer_filtered = crlf({
    "v=0",
    "o=mozilla...THIS_IS_SDPARTA-115.0 7518475012357889734 0 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=sendrecv",
    "a=fingerprint:sha-256 8E:3C:57:9A:02:B1:64:DD:1F:70:CE:45:A8:0B:93:6E:21:F4:7D:58:C2:39:"
    "AA:10:E6:8F:4B:D5:03:77:9C:E1",
    "a=group:BUNDLE 0 1",
    "a=ice-options:trickle",
    "a=msid-semantic:WMS *",
    "m=audio 54321 UDP/TLS/RTP/SAVPF 109 9 0 8 101",
    "c=IN IP4 0.0.0.0",
    "a=candidate:3 1 UDP 92217087 198.51.100.20 50123 typ relay raddr 0.0.0.0 rport 0",
    "a=candidate:3 2 UDP 92217086 198.51.100.20 50124 typ relay raddr 0.0.0.0 rport 0",
    "a=sendrecv",
    "a=end-of-candidates",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1",
    "a=fmtp:101 0-15",
    "a=ice-pwd:6f5b3cf4a8e0d1c2b3a4958677e8f901",
    "a=ice-ufrag:9c0e14a2",
    "a=mid:0",
    "a=msid:{5a3c6d2e-1f0b-4c8a-9e7d-3b2a1c0d9e8f} {0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e}",
    "a=rtcp:54322 IN IP4 0.0.0.0",
    "a=rtcp-fb:109 nack",
    "a=rtcp-mux",
    "a=rtpmap:109 opus/48000/2",
    "a=rtpmap:101 telephone-event/8000/1",
    "a=setup:actpass",
    "a=ssrc:2716430327 cname:{7e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9}",
    "m=application 54325 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP6 ::",
    "a=candidate:6 1 UDP 8331263 2001:db8:ffff::21 50200 typ relay raddr :: rport 0",
    "a=rtcp:54326 IN IP6 ::",
    "a=sendrecv",
    "a=end-of-candidates",
    "a=ice-pwd:6f5b3cf4a8e0d1c2b3a4958677e8f901",
    "a=ice-ufrag:9c0e14a2",
    "a=mid:1",
    "a=setup:actpass",
    "a=sctp-port:5000",
    "a=max-message-size:1073741823",
});

// Firefox's answer, data only: an IPv4 and an IPv6 host, a TCP host, a
// prflx, and relays in both families, one of them outside the operator's
// networks (another TURN server).
const std::string firefox_answer = crlf({
    "v=0",
    "o=mozilla...THIS_IS_SDPARTA-115.0 2086542114934519573 0 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=sendrecv",
    "a=fingerprint:sha-256 1D:0A:F3:6B:88:29:C4:E0:57:9B:12:7F:A6:3D:D2:45:8C:E9:60:1B:B4:73:"
    "0E:CA:95:28:6F:D1:34:AB:07:5E",
    "a=group:BUNDLE 0",
    "a=ice-options:trickle",
    "a=msid-semantic:WMS *",
    "m=application 61000 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 198.51.100.40",
    "a=candidate:0 1 UDP 2122252543 10.20.30.40 61001 typ host",
    "a=candidate:1 1 UDP 2122187007 2001:db8:2::40 61002 typ host",
    "a=candidate:2 1 TCP 2105524479 10.20.30.40 9 typ host tcptype active",
    "a=candidate:3 1 UDP 1853817087 192.0.2.40 61003 typ prflx raddr 10.20.30.40 rport 61001",
    "a=candidate:4 1 UDP 8265727 198.51.100.40 61000 typ relay raddr 192.0.2.40 rport 61003",
    "a=candidate:5 1 UDP 8200191 2001:db8:ffff::40 61004 typ relay raddr 2001:db8:2::40 rport "
    "61002",
    "a=candidate:6 1 UDP 8134655 192.0.2.200 3478 typ relay raddr 192.0.2.40 rport 61003",
    "a=candidate:7 1 UDP 8069119 2001:db8:eeee::1 3479 typ relay raddr 2001:db8:2::40 rport "
    "61002",
    "a=sendrecv",
    "a=end-of-candidates",
    "a=ice-pwd:0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "a=ice-ufrag:5d7c1e2f",
    "a=mid:0",
    "a=setup:active",
    "a=sctp-port:5000",
    "a=max-message-size:1073741823",
});

std::string firefox_answer_filtered(bool with_outside) {
    return crlf({
               "v=0",
               "o=mozilla...THIS_IS_SDPARTA-115.0 2086542114934519573 0 IN IP4 0.0.0.0",
               "s=-",
               "t=0 0",
               "a=sendrecv",
               "a=fingerprint:sha-256 1D:0A:F3:6B:88:29:C4:E0:57:9B:12:7F:A6:3D:D2:45:8C:E9:"
               "60:1B:B4:73:0E:CA:95:28:6F:D1:34:AB:07:5E",
               "a=group:BUNDLE 0",
               "a=ice-options:trickle",
               "a=msid-semantic:WMS *",
               "m=application 61000 UDP/DTLS/SCTP webrtc-datachannel",
               "c=IN IP4 0.0.0.0",
               "a=candidate:4 1 UDP 8265727 198.51.100.40 61000 typ relay raddr 0.0.0.0 rport 0",
               "a=candidate:5 1 UDP 8200191 2001:db8:ffff::40 61004 typ relay raddr :: rport 0",
           }) +
           (with_outside ? crlf({
                               "a=candidate:6 1 UDP 8134655 192.0.2.200 3478 typ relay raddr "
                               "0.0.0.0 rport 0",
                               "a=candidate:7 1 UDP 8069119 2001:db8:eeee::1 3479 typ relay raddr "
                               ":: rport 0",
                           })
                         : std::string()) +
           crlf({
               "a=sendrecv",
               "a=end-of-candidates",
               "a=ice-pwd:0a1b2c3d4e5f60718293a4b5c6d7e8f9",
               "a=ice-ufrag:5d7c1e2f",
               "a=mid:0",
               "a=setup:active",
               "a=sctp-port:5000",
               "a=max-message-size:1073741823",
           });
}

}  // namespace

TEST_CASE("relay-only: a Chrome offer keeps only its relay candidates, blanked", "[relay_only]") {
    CHECK(filtered(any_relay, chrome_offer) == chrome_offer_filtered);
    // Both relays are inside the operator's networks.
    CHECK(filtered(operator_relays, chrome_offer) == chrome_offer_filtered);
}

TEST_CASE("relay-only: a Chrome answer with mDNS, prflx and TCP candidates", "[relay_only]") {
    CHECK(filtered(any_relay, chrome_answer) == chrome_answer_filtered);
    CHECK(filtered(operator_relays, chrome_answer) == chrome_answer_filtered);
}

TEST_CASE("relay-only: a Firefox offer with a=rtcp: and an IPv6 m-line", "[relay_only]") {
    CHECK(filtered(any_relay, firefox_offer) == firefox_offer_filtered);
    CHECK(filtered(operator_relays, firefox_offer) == firefox_offer_filtered);
}

TEST_CASE("relay-only: relay candidates outside ice.relay_networks go too", "[relay_only]") {
    CHECK(filtered(any_relay, firefox_answer) == firefox_answer_filtered(true));
    CHECK(filtered(operator_relays, firefox_answer) == firefox_answer_filtered(false));
}

TEST_CASE("relay-only: filtering twice changes nothing", "[relay_only]") {
    for (const auto* filter : {&any_relay, &operator_relays}) {
        for (const auto* sdp : {&chrome_offer, &chrome_answer, &firefox_offer, &firefox_answer}) {
            const auto once = filtered(*filter, *sdp);
            CHECK(filtered(*filter, once) == once);
        }
    }
}

TEST_CASE("relay-only: line endings are kept as they were, LF or CRLF", "[relay_only]") {
    const std::string sdp =
        "v=0\n"
        "o=- 1 2 IN IP4 127.0.0.1\r\n"
        "c=IN IP4 203.0.113.5\n"
        "a=candidate:1 1 udp 2122260223 192.168.1.10 54400 typ host generation 0\n"
        "a=candidate:2 1 udp 41885439 198.51.100.20 61000 typ relay raddr 203.0.113.5 rport "
        "54400\n"
        "a=rtcp:9 IN IP6 2001:db8::1\r\n"
        "a=mid:0";  // no ending at all: kept so
    CHECK(filtered(any_relay, sdp) ==
          "v=0\n"
          "o=- 1 2 IN IP4 127.0.0.1\r\n"
          "c=IN IP4 0.0.0.0\n"
          "a=candidate:2 1 udp 41885439 198.51.100.20 61000 typ relay raddr 0.0.0.0 rport 0\n"
          "a=rtcp:9 IN IP6 ::\r\n"
          "a=mid:0");
}

TEST_CASE("relay-only: c= and a=rtcp: forms", "[relay_only]") {
    // Multicast TTL and count go with the address; a=rtcp: without an
    // address keeps its port; a malformed c= cannot hide an address.
    CHECK(filtered(any_relay, "c=IN IP4 224.2.36.42/127/2\r\n") == "c=IN IP4 0.0.0.0\r\n");
    CHECK(filtered(any_relay, "c=IN IP6 ff15::101/3\r\n") == "c=IN IP6 ::\r\n");
    CHECK(filtered(any_relay, "a=rtcp:54322\r\n") == "a=rtcp:54322\r\n");
    CHECK(filtered(any_relay, "a=rtcp:54322 IN IP4 203.0.113.5\r\n") ==
          "a=rtcp:54322 IN IP4 0.0.0.0\r\n");
    CHECK(filtered(any_relay, "c=203.0.113.5\r\n") == "c=IN IP4 0.0.0.0\r\n");
    CHECK(filtered(any_relay, "a=rtcp:9 203.0.113.5\r\n") == "a=rtcp:9 IN IP4 0.0.0.0\r\n");
    // Attributes that only start alike are not touched.
    CHECK(filtered(any_relay, "a=rtcp-mux\r\na=rtcp-fb:96 nack\r\n") ==
          "a=rtcp-mux\r\na=rtcp-fb:96 nack\r\n");
    // Anything that starts like a candidate and is not a relay one goes.
    CHECK(filtered(any_relay, "a=candidate\r\na=candidates:x\r\na=mid:0\r\n") == "a=mid:0\r\n");
}

TEST_CASE("relay-only: a=remote-candidates keeps only addresses on the operator's relays",
          "[relay_only]") {
    // RFC 8839 triples "<component> <address> <port>"; non-browser ICE
    // stacks (ICE-lite peers, libnice) name the peer's own addresses here.
    const std::string line =
        "a=remote-candidates:1 192.168.1.10 54400 2 203.0.113.9 3478 1 198.51.100.20 61000\r\n";
    // Without relay networks nothing proves an address is a relay's.
    CHECK(filtered(any_relay, line + "a=mid:0\r\n") == "a=mid:0\r\n");
    CHECK(filtered(operator_relays, line + "a=mid:0\r\n") ==
          "a=remote-candidates:1 198.51.100.20 61000\r\na=mid:0\r\n");
    CHECK(filtered(operator_relays, "a=remote-candidates:1 192.168.1.10 54400\n") == "");
    // Malformed: a trailing pair without its port, nothing but a component.
    CHECK(filtered(operator_relays, "a=remote-candidates:1 198.51.100.20\r\n") == "");
    CHECK(filtered(operator_relays, "a=remote-candidates:\r\n") == "");
    const auto once = filtered(operator_relays, line);
    CHECK(filtered(operator_relays, once) == once);
}

TEST_CASE("relay-only: candidate messages of other types are not relayed", "[relay_only]") {
    for (const auto* filter : {&any_relay, &operator_relays}) {
        CHECK(candidate(*filter,
                        "candidate:1467250027 1 udp 2122260223 192.168.1.10 54400 typ host "
                        "generation 0 ufrag EsAw network-id 1") == "dropped");
        CHECK(candidate(*filter,
                        "candidate:3442447574 1 udp 2122260223 "
                        "6a0c9e0b-8f7e-4b11-9a5c-77d1f0c2e3a4.local 50001 typ host generation 0") ==
              "dropped");
        CHECK(candidate(*filter,
                        "candidate:2 1 TCP 2105524479 2001:db8:1::10 9 typ host tcptype "
                        "active") == "dropped");
        CHECK(candidate(*filter,
                        "candidate:3853216561 1 udp 1686052607 203.0.113.5 54400 typ srflx raddr "
                        "192.168.1.10 rport 54400 generation 0") == "dropped");
        CHECK(candidate(*filter,
                        "candidate:1845501695 1 udp 1845501695 203.0.113.9 50002 typ prflx raddr "
                        "192.168.7.20 rport 50002") == "dropped");
        // Not recognisably a relay candidate: no type, the type elsewhere,
        // another spelling, a doubled space.
        CHECK(candidate(*filter, "candidate:1 1 udp 1 198.51.100.20 5 typ") == "dropped");
        CHECK(candidate(*filter, "candidate:1 1 udp 1 198.51.100.20 5 foo relay typ relay") ==
              "dropped");
        CHECK(candidate(*filter, "candidate:1 1 udp 1 198.51.100.20 5 typ RELAY") == "dropped");
        CHECK(candidate(*filter, "candidate:1 1 udp 1 198.51.100.20  5 typ relay") == "dropped");
        CHECK(candidate(*filter, "candidate:1 1 udp 1 198.51.100.20 5 typ relay\t") == "dropped");
    }
}

TEST_CASE("relay-only: relay candidate messages keep everything but raddr and rport",
          "[relay_only]") {
    for (const auto* filter : {&any_relay, &operator_relays}) {
        CHECK(candidate(*filter,
                        "candidate:1234567890 1 udp 41885439 198.51.100.20 61000 typ relay raddr "
                        "203.0.113.5 rport 54400 generation 0 ufrag EsAw network-id 1 "
                        "network-cost 10") ==
              "candidate:1234567890 1 udp 41885439 198.51.100.20 61000 typ relay raddr 0.0.0.0 "
              "rport 0 generation 0 ufrag EsAw network-id 1 network-cost 10");
        CHECK(candidate(*filter,
                        "candidate:6 1 UDP 8331263 2001:db8:ffff::21 50200 typ relay raddr "
                        "2001:db8:1::10 rport 54325") ==
              "candidate:6 1 UDP 8331263 2001:db8:ffff::21 50200 typ relay raddr :: rport 0");
        // Already blank (recent Chrome), an mDNS raddr, none at all.
        CHECK(candidate(*filter,
                        "candidate:2157334355 1 udp 33562367 198.51.100.30 63000 typ relay raddr "
                        "0.0.0.0 rport 0 generation 0") ==
              "candidate:2157334355 1 udp 33562367 198.51.100.30 63000 typ relay raddr 0.0.0.0 "
              "rport 0 generation 0");
        CHECK(candidate(*filter,
                        "candidate:9 1 udp 33562367 198.51.100.30 63000 typ relay raddr "
                        "6a0c9e0b-8f7e-4b11-9a5c-77d1f0c2e3a4.local rport 50001") ==
              "candidate:9 1 udp 33562367 198.51.100.30 63000 typ relay raddr 0.0.0.0 rport 0");
        CHECK(candidate(*filter, "candidate:9 1 udp 33562367 198.51.100.30 63000 typ relay") ==
              "candidate:9 1 udp 33562367 198.51.100.30 63000 typ relay");
    }
    // Every raddr and rport, wherever it stands after the type.
    CHECK(candidate(any_relay,
                    "candidate:1 1 udp 1 198.51.100.20 5 typ relay raddr raddr 203.0.113.5 "
                    "rport 7 raddr 192.0.2.1") ==
          "candidate:1 1 udp 1 198.51.100.20 5 typ relay raddr 0.0.0.0 203.0.113.5 rport 0 "
          "raddr 0.0.0.0");
}

TEST_CASE("relay-only: relay candidate messages outside ice.relay_networks are not relayed",
          "[relay_only]") {
    const std::string outside_v4 =
        "candidate:6 1 UDP 8134655 192.0.2.200 3478 typ relay raddr 192.0.2.40 rport 61003";
    const std::string outside_v6 =
        "candidate:7 1 UDP 8069119 2001:db8:eeee::1 3479 typ relay raddr 2001:db8:2::40 rport 1";
    const std::string named = "candidate:8 1 UDP 8069119 turn.example.org 3479 typ relay";
    CHECK(candidate(operator_relays, outside_v4) == "dropped");
    CHECK(candidate(operator_relays, outside_v6) == "dropped");
    CHECK(candidate(operator_relays, named) == "dropped");
    // Without relay networks, any relay stays.
    CHECK(candidate(any_relay, outside_v4) ==
          "candidate:6 1 UDP 8134655 192.0.2.200 3478 typ relay raddr 0.0.0.0 rport 0");
    CHECK(candidate(any_relay, named) == named);
    // IPv4-mapped IPv6 is the IPv4 address.
    CHECK(candidate(operator_relays, "candidate:1 1 udp 1 ::ffff:198.51.100.7 5 typ relay") ==
          "candidate:1 1 udp 1 ::ffff:198.51.100.7 5 typ relay");
}

TEST_CASE("relay-only: validated messages are filtered in place", "[relay_only]") {
    protocol::candidate_message end_null;
    CHECK(any_relay.apply(end_null));
    CHECK_FALSE(end_null.candidate);

    protocol::candidate_message end_empty{protocol::ice_candidate{"", "0", 0, std::nullopt}};
    CHECK(any_relay.apply(end_empty));
    CHECK(end_empty.candidate->candidate.empty());

    protocol::candidate_message host{protocol::ice_candidate{
        "candidate:1 1 udp 2122260223 192.168.1.10 54400 typ host", "0", 0, "EsAw"}};
    CHECK_FALSE(any_relay.apply(host));

    protocol::candidate_message relay{protocol::ice_candidate{
        "candidate:2 1 udp 41885439 198.51.100.20 61000 typ relay raddr 203.0.113.5 rport 54400",
        "audio", std::nullopt, "EsAw"}};
    REQUIRE(operator_relays.apply(relay));
    CHECK(relay.candidate->candidate ==
          "candidate:2 1 udp 41885439 198.51.100.20 61000 typ relay raddr 0.0.0.0 rport 0");
    CHECK(relay.candidate->sdp_mid == "audio");
    CHECK_FALSE(relay.candidate->sdp_mline_index);
    CHECK(relay.candidate->username_fragment == "EsAw");

    protocol::sdp_message offer{protocol::sdp_kind::offer, firefox_offer};
    any_relay.apply(offer);
    CHECK(offer.kind == protocol::sdp_kind::offer);
    CHECK(offer.sdp == firefox_offer_filtered);
}

TEST_CASE("relay-only: no allocation once the output buffer has room", "[relay_only]") {
    std::string out;
    out.reserve(chrome_offer.size() + firefox_answer.size());
    const auto* buffer = out.data();
    counting = true;
    allocations = 0;
    operator_relays.filter_sdp(firefox_answer, out);
    out.clear();
    operator_relays.filter_sdp(chrome_offer, out);
    out.clear();
    const bool kept = operator_relays.filter_candidate(
        "candidate:2 1 udp 41885439 198.51.100.20 61000 typ relay raddr 203.0.113.5 rport 1", out);
    counting = false;
    CHECK(kept);
    CHECK(out.data() == buffer);  // the output buffer was reused, not replaced
    if (!ONYMOUS_COUNT_ALLOCATIONS) {
        WARN("allocations are not counted in sanitizer builds");
        return;
    }
    CHECK(allocations == 0);
}
