#include "abuse_helpers.hpp"

#include "lifecycle.hpp"

namespace onymous::test {

ws_client client_from(const daemon_process& daemon, const std::string& source) {
    connect_options options;
    options.tls = false;
    options.link.source_address = source;
    return open_client(daemon, options);
}

void report_once(ws_client& target, ws_client& reporter) {
    pair(target, reporter);
    reporter.send_json({{"type", "report"}});
    expect_type(reporter, "reported");
    reporter.send_json({{"type", "leave"}});
    expect_type(reporter, "left");
    expect_type(target, "partner_left");
}

void meet_again(ws_client& a, ws_client& b) {
    a.send_json({{"type", "next"}});
    expect_type(a, "waiting");
    expect_type(b, "partner_left");
    join(b);
    expect_pairing(a, b);
}

abuse::challenge challenge_of(const json& message) {
    INFO(message.dump());
    REQUIRE(message.contains("challenge"));
    const json& c = message.at("challenge");
    return {c.at("prefix").get<std::string>(), c.at("bits").get<unsigned>(),
            c.at("count").get<unsigned>(), c.at("expiresMs").get<std::uint64_t>()};
}

json proof_for(const abuse::challenge& c) { return abuse::solve(c).nonces; }

std::int64_t expect_retry_after(ws_client& client, std::string_view code, std::string_view ref) {
    const json message = expect_type(client, "error");
    INFO("expected error " << code << " ref " << ref << " with retryAfterMs, got "
                           << message.dump());
    REQUIRE(message.value("code", "") == code);
    REQUIRE(message.value("ref", "") == ref);
    REQUIRE(message.contains("message"));
    REQUIRE(message.contains("retryAfterMs"));
    REQUIRE(message.size() == 5);
    REQUIRE(message["retryAfterMs"].is_number_integer());
    return message["retryAfterMs"].get<std::int64_t>();
}

}  // namespace onymous::test
