#include "lifecycle.hpp"

#include <filesystem>
#include <sstream>
#include <thread>

namespace onymous::test {

json offer_message(const std::string& sdp) { return {{"type", "offer"}, {"sdp", sdp}}; }

json answer_message(const std::string& sdp) { return {{"type", "answer"}, {"sdp", sdp}}; }

json candidate_message(const json& init) { return {{"type", "candidate"}, {"candidate", init}}; }

std::string padded_sdp(std::string_view marker, std::size_t bytes) {
    std::string sdp = text_sdp(marker);
    while (sdp.size() + 72 <= bytes) sdp += "a=x-pad:" + std::string(62, 'p') + "\r\n";
    return sdp;
}

std::string hello_token(const ws_client& client) {
    const auto& history = client.history();
    REQUIRE_FALSE(history.empty());
    const json& hello = history.front();
    INFO("hello: " << hello.dump());
    REQUIRE(hello.value("type", "") == "hello");
    REQUIRE(hello.contains("resume"));
    REQUIRE(hello["resume"].is_string());
    return hello["resume"].get<std::string>();
}

bool is_token(const std::string& token) {
    if (token.size() != 22) return false;
    for (const char c : token) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

json resume_message(const std::string& token, std::int64_t last_seq) {
    return {{"type", "resume"}, {"token", token}, {"last_seq", last_seq}};
}

ws_client open_resuming(const daemon_process& daemon, const std::string& token,
                        std::int64_t last_seq, const connect_options& options) {
    auto client = open_client(daemon, options);
    client.send_json(resume_message(token, last_seq));
    return client;
}

std::string expect_resumed(ws_client& client, std::string_view state, std::string_view role,
                           const std::string& old_token, duration timeout) {
    const auto message = next_message(client, timeout);
    INFO("expected resumed (state " << state << ", role " << (role.empty() ? "(none)" : role)
                                    << "), got " << message.dump());
    REQUIRE(message.is_object());
    REQUIRE(message.value("type", "") == "resumed");
    REQUIRE_FALSE(message.contains("seq"));
    REQUIRE(message.value("state", "") == state);
    if (role.empty()) {
        REQUIRE_FALSE(message.contains("role"));
        REQUIRE(message.size() == 3);
    } else {
        REQUIRE(message.value("role", "") == role);
        REQUIRE(message.size() == 4);
    }
    REQUIRE(message.contains("resume"));
    REQUIRE(message["resume"].is_string());
    const auto token = message["resume"].get<std::string>();
    REQUIRE(is_token(token));
    REQUIRE(token != old_token);
    return token;
}

std::string expect_resume_failed(ws_client& client, duration timeout) {
    const auto error = expect_error(client, "resume_failed", "resume", timeout);
    return error["message"].get<std::string>();
}

json expect_at(ws_client& client, json expected, std::int64_t seq, duration timeout) {
    expected["seq"] = seq;
    const auto message = next_message(client, timeout);
    INFO("expected " << expected.dump() << "\n     got " << message.dump());
    REQUIRE(message == expected);
    return message;
}

std::string expect_matched_at(ws_client& client, std::int64_t seq, duration timeout) {
    const auto message = next_message(client, timeout);
    INFO("expected matched with seq " << seq << ", got " << message.dump());
    REQUIRE(message.value("type", "") == "matched");
    REQUIRE(message.value("seq", std::int64_t{-1}) == seq);
    REQUIRE(message.contains("interests"));
    REQUIRE(message["interests"].is_array());
    REQUIRE(message.size() == 4);
    const auto role = message.value("role", "");
    REQUIRE((role == "offerer" || role == "answerer"));
    return role;
}

std::optional<double> metric(const daemon_process& daemon, std::string_view name) {
    const auto response = http_exchange(daemon.admin_port(), false, get_request("/metrics"));
    if (response.status != 200) return std::nullopt;
    std::istringstream lines(response.body);
    std::string line;
    std::optional<double> sum;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#' || line.compare(0, name.size(), name) != 0) continue;
        const auto rest = line.substr(name.size());
        if (rest.empty() || (rest[0] != ' ' && rest[0] != '{'))
            continue;  // a longer name with this prefix
        std::size_t value_at = 1;
        if (rest[0] == '{') {
            const auto close = rest.find("} ");
            if (close == std::string::npos) continue;
            value_at = close + 2;
        }
        if (value_at >= rest.size()) continue;
        sum = sum.value_or(0) + std::stod(rest.substr(value_at));
    }
    return sum;
}

void require_metric(const daemon_process& daemon, std::string_view name, double value,
                    duration timeout) {
    require_metric(daemon, name, value, timeout, {});
}

void require_metric(const daemon_process& daemon, std::string_view name, double value,
                    duration timeout, std::initializer_list<ws_client*> keep_alive) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<double> seen;
    for (;;) {
        seen = metric(daemon, name);
        if (seen && *seen == value) return;
        if (std::chrono::steady_clock::now() >= deadline) break;
        // A poll step (the gauge has no push interface), spent reading.
        if (keep_alive.size() == 0) std::this_thread::sleep_for(20ms);
        for (auto* client : keep_alive) {
            INFO("a client kept reading while waiting for " << name);
            REQUIRE(client->expect_silence(20ms));
        }
    }
    FAIL("metric " << name << " did not reach " << value << " within " << timeout.count()
                   << " ms; last seen: "
                   << (seen ? std::to_string(*seen) : std::string("(absent)")));
}

int admin_status(const daemon_process& daemon, std::string_view target) {
    return http_exchange(daemon.admin_port(), false, get_request(target), 3s).status;
}

std::size_t open_descriptors(pid_t pid) {
    std::size_t count = 0;
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
         !ec && it != end; it.increment(ec))
        ++count;
    return count;
}

void finish_clean(daemon_process& daemon) {
    const auto errors = metric(daemon, "onymous_internal_errors_total");
    INFO("onymous_internal_errors_total: " << (errors ? std::to_string(*errors)
                                                      : std::string("(absent)")));
    REQUIRE(errors.has_value());
    REQUIRE(*errors == 0);
    finish(daemon);
}

}  // namespace onymous::test
