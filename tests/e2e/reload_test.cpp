// SIGHUP reload (issue 9): the whole file and the TLS files are read and
// validated first; a valid file becomes a new settings snapshot and TLS
// context for new connections while open ones keep theirs; an invalid one
// changes nothing and is logged with file, line and key; keys that need a
// restart (threads, listeners) are logged as warnings and otherwise ignored.
// Outcomes are counted in onymous_reloads_total{outcome} and
// onymous_config_last_reload_successful.

#include "lifecycle.hpp"
#include "ops_helpers.hpp"
#include "tls_material.hpp"

#include <signal.h>

#include <string>

using namespace onymous::test;

namespace {

/// The certificate and key files the daemon's config names, and two
/// certificates to put there: A (the shared test certificate, which
/// ws_client trusts) and B (a fresh one, which it does not).
struct tls_slot {
    temp_dir dir;
    std::filesystem::path certificate = dir.file("server.crt.pem");
    std::filesystem::path key = dir.file("server.key.pem");
    tls_files a = shared_tls();
    tls_files b = make_self_signed(dir.path(), "b");

    tls_slot() { install(a); }
    /// Replaces the files' contents, as certbot's deploy hook would.
    void install(const tls_files& files) const {
        write_file(certificate, read_file(files.certificate));
        write_file(key, read_file(files.private_key));
    }
    std::vector<config_override> overrides() const {
        return {{"tls.certificate", certificate.string()}, {"tls.private_key", key.string()}};
    }
};

/// The daemon's config with `changes` applied, as written.
std::string edited_config(const daemon_process& daemon,
                          const std::vector<config_override>& changes) {
    config_tree tree = daemon.config();
    apply_overrides(tree, changes);
    return to_yaml(tree);
}

void rewrite_config(const daemon_process& daemon, const std::vector<config_override>& changes) {
    write_file(daemon.config_path(), edited_config(daemon, changes));
}

/// The 1-based number of the first line of `yaml` that starts with `prefix`.
int line_of(const std::string& yaml, const std::string& prefix) {
    int number = 1;
    for (std::size_t at = 0; at < yaml.size(); ++number) {
        if (yaml.compare(at, prefix.size(), prefix) == 0) return number;
        const auto end = yaml.find('\n', at);
        if (end == std::string::npos) break;
        at = end + 1;
    }
    FAIL("no line starting with \"" << prefix << "\" in:\n" << yaml);
    return 0;
}

/// Sends SIGHUP and waits until onymous_reloads_total{outcome} reaches `count`.
void reload(const daemon_process& daemon, const std::string& outcome, double count) {
    REQUIRE(::kill(daemon.pid(), SIGHUP) == 0);
    wait_for_sample(daemon, "onymous_reloads_total", {{"outcome", outcome}}, count, allowance(5s));
}

/// The line of the daemon's log that contains `text` (from byte `from`).
std::string log_line(const daemon_process& daemon, std::string_view text, std::size_t from = 0) {
    const auto log = daemon.log();
    const auto at = wait_for_log(daemon, text, from);
    const auto start = log.rfind('\n', at);
    const auto end = log.find('\n', at);
    return log.substr(start == std::string::npos ? 0 : start + 1,
                      end == std::string::npos
                          ? std::string::npos
                          : end - (start == std::string::npos ? 0 : start + 1));
}

json hello_limits(const ws_client& client) {
    const auto& hello = client.history().front();
    INFO("hello: " << hello.dump());
    REQUIRE(hello.value("type", "") == "hello");
    REQUIRE(hello.contains("limits"));
    return hello["limits"];
}

/// The offerer and answerer of a pairing relay both ways.
void relay_both_ways(ws_client& offerer, ws_client& answerer, std::string_view marker) {
    const std::string m(marker);
    offerer.send_json(offer_message(text_sdp(m + "1")));
    expect_message(answerer, offer_message(text_sdp(m + "1")));
    answerer.send_json(answer_message(text_sdp(m + "2")));
    expect_message(offerer, answer_message(text_sdp(m + "2")));
    answerer.send_json(candidate_message(candidate_init(m + "3")));
    expect_message(offerer, candidate_message(candidate_init(m + "3")));
    offerer.send_json(candidate_message(candidate_init(m + "4")));
    expect_message(answerer, candidate_message(candidate_init(m + "4")));
}

daemon_process start_with(const tls_slot& slot, std::vector<config_override> extra = {}) {
    auto overrides = slot.overrides();
    for (auto& change : extra) overrides.push_back(std::move(change));
    // daemon_process takes an initializer list: a short fixed-size forward.
    switch (overrides.size()) {
    case 2: return daemon_process({overrides[0], overrides[1]});
    case 3: return daemon_process({overrides[0], overrides[1], overrides[2]});
    case 4: return daemon_process({overrides[0], overrides[1], overrides[2], overrides[3]});
    default: throw std::logic_error("start_with: too many overrides");
    }
}

}  // namespace

TEST_CASE("after SIGHUP with a new certificate new clients get it, paired connections relay on",
          "[reload_test][e2e]") {
    tls_slot slot;
    auto daemon = start_with(slot);
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b);
    auto& offerer = pairing.offerer(a, b);
    auto& answerer = pairing.answerer(a, b);
    relay_both_ways(offerer, answerer, "1");

    const auto before = tls_peer(daemon.tls_port(), slot.a.certificate);
    INFO("before the reload: " << before.error);
    REQUIRE(before.handshake);
    REQUIRE(before.fingerprint == certificate_fingerprint(slot.a.certificate));
    REQUIRE(before.verified);
    REQUIRE(before.upgrade_status == 101);
    REQUIRE(certificate_fingerprint(slot.a.certificate) !=
            certificate_fingerprint(slot.b.certificate));

    slot.install(slot.b);
    reload(daemon, "ok", 1);
    wait_for_log(daemon, "configuration reloaded");
    const auto metrics = scrape(daemon);
    REQUIRE(metrics.value("onymous_config_last_reload_successful") == 1.0);
    REQUIRE(metrics.value_or_zero("onymous_reloads_total", {{"outcome", "failed"}}) == 0);

    // A new TLS client is served B, which verifies, and can upgrade.
    const auto after = tls_peer(daemon.tls_port(), slot.b.certificate);
    INFO("after the reload: " << after.error);
    REQUIRE(after.handshake);
    REQUIRE(after.fingerprint == certificate_fingerprint(slot.b.certificate));
    REQUIRE(after.verified);
    REQUIRE(after.upgrade_status == 101);
    // A client that trusts only A now fails verification.
    ws_client trusts_a;
    REQUIRE_FALSE(trusts_a.connect(daemon.tls_port()));

    // The pairing made over A goes on both ways, and so do its pings.
    relay_both_ways(offerer, answerer, "2");
    ping_pong(a);
    ping_pong(b);
    // The plain listener is still there.
    connect_options plain;
    plain.tls = false;
    auto c = open_client(daemon, plain);
    ping_pong(c);
    finish_clean(daemon);
}

TEST_CASE("a SIGHUP with a broken file changes nothing, and the error names file, line and key",
          "[reload_test][e2e]") {
    tls_slot slot;
    auto daemon = start_with(slot);
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b);
    const json limits_before = hello_limits(a);
    REQUIRE(limits_before["maxMessageBytes"] == 65536);
    REQUIRE(limits_before["maxSdpBytes"] == 32768);

    // A valid change to max_sdp_bytes and a new certificate in place, but a
    // bad value for max_message_bytes: none of it may apply.
    slot.install(slot.b);
    const auto broken = edited_config(
        daemon, {{"limits.max_sdp_bytes", 2000}, {"limits.max_message_bytes", "lots"}});
    const int bad_line = line_of(broken, "  max_message_bytes:");
    write_file(daemon.config_path(), broken);
    reload(daemon, "failed", 1);

    const auto line = log_line(daemon, "reload failed, keeping the running configuration");
    INFO("logged: " << line);
    const std::string where =
        daemon.config_path().filename().string() + ":" + std::to_string(bad_line) + ":";
    REQUIRE(line.find(where) != std::string::npos);
    REQUIRE(line.find("limits.max_message_bytes", line.find(where)) != std::string::npos);
    REQUIRE(daemon.log().find("configuration reloaded") == std::string::npos);

    const auto metrics = scrape(daemon);
    REQUIRE(metrics.value("onymous_config_last_reload_successful") == 0.0);
    REQUIRE(metrics.value_or_zero("onymous_reloads_total", {{"outcome", "ok"}}) == 0);

    // Everything as before: certificate A, the old limits, the pairing.
    const auto served = tls_peer(daemon.tls_port(), slot.a.certificate);
    INFO("after the failed reload: " << served.error);
    REQUIRE(served.fingerprint == certificate_fingerprint(slot.a.certificate));
    REQUIRE(served.verified);
    auto c = open_client(daemon);  // trusts only A
    REQUIRE(hello_limits(c) == limits_before);
    relay_both_ways(pairing.offerer(a, b), pairing.answerer(a, b), "3");

    // Fixed, the next SIGHUP applies it all: B, the new SDP limit.
    rewrite_config(daemon, {{"limits.max_sdp_bytes", 2000}});
    reload(daemon, "ok", 1);
    REQUIRE(scrape(daemon).value("onymous_config_last_reload_successful") == 1.0);
    const auto fixed = tls_peer(daemon.tls_port(), slot.b.certificate);
    INFO("after the fixed reload: " << fixed.error);
    REQUIRE(fixed.fingerprint == certificate_fingerprint(slot.b.certificate));
    REQUIRE(fixed.verified);
    connect_options plain;
    plain.tls = false;
    auto d = open_client(daemon, plain);
    REQUIRE(hello_limits(d)["maxSdpBytes"] == 2000);
    REQUIRE(hello_limits(d)["maxMessageBytes"] == 65536);
    finish_clean(daemon);
}

TEST_CASE("reloaded limits and origins apply to new connections, open ones keep theirs",
          "[reload_test][e2e]") {
    tls_slot slot;
    auto daemon = start_with(slot);
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto old_pairing = pair(a, b);
    REQUIRE(hello_limits(a)["maxMessageBytes"] == 65536);

    rewrite_config(daemon, {{"limits.max_message_bytes", 4096},
                            {"allowed_origins", json::array({"https://chat.onymous.example"})}});
    reload(daemon, "ok", 1);

    connect_options allowed;
    allowed.origin = "https://chat.onymous.example";
    auto c = open_client(daemon, allowed);
    auto d = open_client(daemon, allowed);
    REQUIRE(hello_limits(c)["maxMessageBytes"] == 4096);
    ws_client refused;
    connect_options elsewhere;
    elsewhere.origin = "https://evil.example";
    REQUIRE_FALSE(refused.connect(daemon.tls_port(), elsewhere));
    REQUIRE(refused.upgrade_response().status == 403);

    // An offer just over the new 4 KiB, within the old connections' 64 KiB.
    // Small enough for one TLS record: the client's write completes before
    // the server's 1009 closes the connection (a larger one races its close).
    const auto big = offer_message(padded_sdp("91", 4300));
    REQUIRE(big.dump().size() > 4096);
    auto& old_offerer = old_pairing.offerer(a, b);
    old_offerer.send_json(big);
    expect_message(old_pairing.answerer(a, b), big);

    const auto new_pairing = pair(c, d);
    auto& new_offerer = new_pairing.offerer(c, d);
    new_offerer.send_json(big);
    expect_closed(new_offerer, 1009);
    expect_message(new_pairing.answerer(c, d), {{"type", "partner_left"}});
    finish_clean(daemon);
}

TEST_CASE("a reload that changes threads or listeners warns and keeps them", "[reload_test][e2e]") {
    tls_slot slot;
    auto daemon = start_with(slot, {{"threads", 2}});
    auto config = daemon.config();
    auto listeners = config["listeners"];
    listeners.push_back({{"address", "127.0.0.1"}, {"port", 0}, {"tls", false}});
    rewrite_config(daemon,
                   {{"threads", 1}, {"listeners", listeners}, {"limits.max_message_bytes", 5000}});
    reload(daemon, "ok", 1);
    // Each key named in its own warning (log_line fails the test when absent).
    for (const char* key : {"threads", "listeners"})
        log_line(daemon, std::string(key) + " changed: needs a restart, keeping the running value");
    REQUIRE(scrape(daemon).value("onymous_config_last_reload_successful") == 1.0);
    // The rest of the file applied.
    auto a = open_client(daemon);
    REQUIRE(hello_limits(a)["maxMessageBytes"] == 5000);
    // Both original listeners still serve (and both worker threads: a
    // pairing across them works whichever loops the connections landed on).
    connect_options plain;
    plain.tls = false;
    auto b = open_client(daemon, plain);
    const auto pairing = pair(a, b);
    relay_both_ways(pairing.offerer(a, b), pairing.answerer(a, b), "4");
    REQUIRE(daemon.listeners().size() == 2);
    finish_clean(daemon);
}

TEST_CASE("logging.level reloads", "[reload_test][e2e]") {
    tls_slot slot;
    auto daemon = start_with(slot, {{"logging.level", "info"}});
    const std::string restart_warning = "threads changed: needs a restart";
    const std::string reloaded = "configuration reloaded";
    // Whether a reload that changes the level logs at the old or the new one
    // is not specified: each level is checked on reloads that keep it, and
    // a later reload is the sign that an earlier one has logged all it will
    // (they run one after another).
    int reloads = 0;
    const auto reload_with = [&](std::vector<config_override> changes) {
        rewrite_config(daemon, changes);
        reload(daemon, "ok", ++reloads);
    };

    // At error: neither the warning nor the info line.
    reload_with({{"logging.level", "error"}});
    reload_with({{"logging.level", "error"}});
    const auto at_error = daemon.log().size();
    reload_with({{"logging.level", "error"}, {"threads", 1}});
    reload_with({{"logging.level", "error"}, {"threads", 1}});
    const auto at_warn = daemon.log().size();
    {
        const auto part = daemon.log().substr(at_error, at_warn - at_error);
        INFO("logged by reloads at level error:\n" << part);
        REQUIRE(count_occurrences(part, restart_warning) == 0);
        REQUIRE(count_occurrences(part, reloaded) == 0);
    }
    // At warn: the warning, not the info line.
    reload_with({{"logging.level", "warn"}, {"threads", 1}});
    reload_with({{"logging.level", "warn"}, {"threads", 1}});
    reload_with({{"logging.level", "warn"}, {"threads", 1}});
    const auto at_info = daemon.log().size();
    {
        wait_for_log(daemon, restart_warning, at_warn);
        const auto part = daemon.log().substr(at_warn, at_info - at_warn);
        INFO("logged by reloads at level warn:\n" << part);
        REQUIRE(count_occurrences(part, reloaded) == 0);
    }
    // Back at info: the info line again.
    reload_with({{"logging.level", "info"}});
    reload_with({{"logging.level", "info"}});
    wait_for_log(daemon, reloaded, at_info);
    finish(daemon);
}
