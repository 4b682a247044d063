#include "helpers.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

namespace onymous::test {

namespace {

std::string describe(const ws_client& client) {
    const auto& state = client.state();
    if (!state.closed) return "connection open, nothing received";
    if (state.close_frame)
        return "connection closed by the server with code " + std::to_string(state.code) + " \"" +
               state.reason + "\"";
    return "connection ended without a close frame: " + state.error;
}

std::vector<std::string> sorted(const json& array) {
    std::vector<std::string> out;
    for (const auto& item : array) out.push_back(item.get<std::string>());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

bool is_sequenced(std::string_view type) {
    return type != "hello" && type != "pong" && type != "reported" && type != "error" &&
           type != "resumed";
}

ws_client open_client(const daemon_process& daemon, const connect_options& options) {
    ws_client client;
    const auto port = options.tls ? daemon.tls_port() : daemon.plain_port();
    const bool connected = client.connect(port, options);
    INFO("upgrade failed: " << client.error());
    REQUIRE(connected);
    REQUIRE(client.upgrade_response().status == 101);
    const auto hello = next_message(client);
    INFO("first message: " << hello.dump());
    REQUIRE(hello.value("type", "") == "hello");
    return client;
}

json next_message(ws_client& client, duration timeout) {
    auto message = client.read_json(timeout);
    if (!message)
        FAIL("no message within " << timeout.count() << " ms (" << describe(client) << ")");
    return *message;
}

json expect_type(ws_client& client, std::string_view type, duration timeout) {
    const auto previous = client.last_seq();
    auto message = next_message(client, timeout);
    INFO("expected a " << type << " message, got " << message.dump());
    REQUIRE(message.is_object());
    REQUIRE(message.value("type", "") == type);
    if (is_sequenced(type)) {
        REQUIRE(message.contains("seq"));
        REQUIRE(message["seq"] == previous + 1);
    } else {
        REQUIRE_FALSE(message.contains("seq"));
    }
    return message;
}

json expect_message(ws_client& client, json expected, duration timeout) {
    const auto type = expected.at("type").get<std::string>();
    if (is_sequenced(type)) expected["seq"] = client.last_seq() + 1;
    auto message = next_message(client, timeout);
    INFO("expected " << expected.dump() << "\n     got " << message.dump());
    REQUIRE(message == expected);
    return message;
}

json expect_error(ws_client& client, std::string_view code, std::string_view ref,
                  duration timeout) {
    auto message = expect_type(client, "error", timeout);
    INFO("expected error " << code << " ref " << (ref.empty() ? "(none)" : ref) << ", got "
                           << message.dump());
    REQUIRE(message.value("code", "") == code);
    REQUIRE(message.contains("message"));
    REQUIRE(message["message"].is_string());
    REQUIRE_FALSE(message["message"].get<std::string>().empty());
    if (ref.empty()) {
        REQUIRE_FALSE(message.contains("ref"));
        REQUIRE(message.size() == 3);
    } else {
        REQUIRE(message.value("ref", "") == ref);
        REQUIRE(message.size() == 4);
    }
    return message;
}

void expect_closed(ws_client& client, int code, duration timeout) {
    const auto state = client.expect_close(timeout);
    INFO("expected a close frame with code " << code << "; closed: " << state.closed
                                             << ", close frame: " << state.close_frame << ", code "
                                             << state.code << ", error: " << state.error);
    REQUIRE(state.closed);
    REQUIRE(state.close_frame);
    REQUIRE(state.code == code);
}

void ping_pong(ws_client& client) {
    client.send_json({{"type", "ping"}});
    expect_message(client, {{"type", "pong"}});
}

json join_message(std::string_view mode, const std::vector<std::string>& interests) {
    json message = {{"type", "join"}};
    if (!mode.empty()) message["mode"] = mode;
    if (!interests.empty()) message["interests"] = interests;
    return message;
}

void join(ws_client& client, std::string_view mode, const std::vector<std::string>& interests) {
    client.send_json(join_message(mode, interests));
    expect_message(client, {{"type", "waiting"}});
}

pairing expect_pairing(ws_client& a, ws_client& b, duration timeout) {
    pairing result;
    result.a_matched = expect_type(a, "matched", timeout);
    result.b_matched = expect_type(b, "matched", timeout);
    INFO("a: " << result.a_matched.dump() << "\nb: " << result.b_matched.dump());
    for (const auto* matched : {&result.a_matched, &result.b_matched}) {
        REQUIRE(matched->contains("role"));
        REQUIRE(matched->contains("interests"));
        REQUIRE((*matched)["interests"].is_array());
        // iceServers only when fresher credentials are needed: no TURN here.
        REQUIRE(matched->size() == 4);
    }
    const auto role_a = result.a_matched["role"].get<std::string>();
    const auto role_b = result.b_matched["role"].get<std::string>();
    REQUIRE((role_a == "offerer" || role_a == "answerer"));
    REQUIRE((role_b == "offerer" || role_b == "answerer"));
    REQUIRE(role_a != role_b);
    REQUIRE(sorted(result.a_matched["interests"]) == sorted(result.b_matched["interests"]));
    result.a_offers = role_a == "offerer";
    return result;
}

pairing pair(ws_client& a, ws_client& b, std::string_view mode,
             const std::vector<std::string>& interests_a,
             const std::vector<std::string>& interests_b) {
    join(a, mode, interests_a);
    join(b, mode, interests_b);
    return expect_pairing(a, b);
}

std::string text_sdp(std::string_view marker) {
    std::string sdp = "v=0\r\n";
    sdp += "o=- 46117314" + std::string(marker) + " 2 IN IP4 0.0.0.0\r\n";
    sdp += "s=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n";
    sdp += "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n";
    sdp += "a=ice-ufrag:Xk2p\r\na=ice-pwd:0dHvNVa2fQ1Qcv+9XkO7lbGx\r\na=ice-options:trickle\r\n";
    sdp +=
        "a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:"
        "DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:79:F2\r\n";
    sdp += "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
    return sdp;
}

std::string video_sdp(std::string_view marker) {
    std::string sdp = "v=0\r\n";
    sdp += "o=- 46117314" + std::string(marker) + " 2 IN IP4 0.0.0.0\r\n";
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

json candidate_init(std::string_view marker, int foundation) {
    return {{"candidate", "candidate:" + std::to_string(foundation) +
                              " 1 udp 2122260223 192.0.2.10 54400 typ host generation 0 ufrag u" +
                              std::string(marker)},
            {"sdpMid", "0"},
            {"sdpMLineIndex", 0},
            {"usernameFragment", "u" + std::string(marker)}};
}

std::string upgrade_request(std::string_view target, const std::vector<std::string>& extra) {
    std::string request = "GET " + std::string(target) + " HTTP/1.1\r\n";
    request += "Host: localhost\r\n";
    request += "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    for (const auto& line : extra) request += line + "\r\n";
    request += "\r\n";
    return request;
}

std::string get_request(std::string_view target) {
    return "GET " + std::string(target) +
           " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
}

bool sanitized_daemon() {
    const char* flag = std::getenv("ONYMOUS_E2E_SANITIZED");
    return flag != nullptr && std::strcmp(flag, "1") == 0;
}

bool timing_tests_enabled() {
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    return !sanitized_daemon();
#else
    return false;
#endif
}

duration allowance(duration base, int factor) {
    return timing_tests_enabled() ? base : base * factor;
}

namespace {

/// A config duration ("250ms", "1s", "2m", "1h"), or `fallback` when `value`
/// is absent or not one of those.
std::chrono::milliseconds config_duration(const config_tree* value,
                                          std::chrono::milliseconds fallback) {
    if (value == nullptr || !value->is_string()) return fallback;
    const auto text = value->get<std::string>();
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 9) return fallback;
    const long long number = std::stoll(text.substr(0, digits));
    const auto unit = text.substr(digits);
    if (unit == "ms") return std::chrono::milliseconds(number);
    if (unit == "s") return std::chrono::seconds(number);
    if (unit == "m") return std::chrono::minutes(number);
    if (unit == "h") return std::chrono::hours(number);
    return fallback;
}

const config_tree* config_value(const config_tree& tree, const char* section, const char* key) {
    if (!tree.contains(section) || !tree[section].is_object() || !tree[section].contains(key))
        return nullptr;
    return &tree[section][key];
}

}  // namespace

void finish(daemon_process& daemon) {
    // Clients still connected when a test ends are closed by the drain (at
    // drain_timeout for paired ones) and may never answer the closing
    // handshake (the test is not reading them): allow the drain, the close
    // deadline (default 5 s) and a margin before stop() resorts to SIGKILL.
    const auto& config = daemon.config();
    const auto grace =
        config_duration(config_value(config, "shutdown", "drain_timeout"),
                        std::chrono::seconds(8)) +
        config_duration(config_value(config, "limits", "close_timeout"), std::chrono::seconds(5)) +
        allowance(std::chrono::seconds(5), 3);
    const auto status = daemon.stop(grace);
    const auto log = daemon.log();
    INFO("onymousd " << status.describe() << "; stderr:\n" << log);
    REQUIRE(status.exited_with(0));
    for (const char* report : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                               "WARNING: ThreadSanitizer", "runtime error:"})
        REQUIRE(log.find(report) == std::string::npos);
}

}  // namespace onymous::test
