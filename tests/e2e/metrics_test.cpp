// The admin listener's /metrics (issue 9): Prometheus text format 0.0.4,
// parsed strictly (tests/support/prometheus_text), with the families the
// operations spec names, counters that move exactly with traffic, process
// metrics, the certificate's expiry, and no label or value that holds an
// address, a token or an interest. Also /healthz and /readyz, and that the
// public listeners do not serve the metrics.

#include "lifecycle.hpp"
#include "ops_helpers.hpp"
#include "tls_material.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

using namespace onymous::test;

namespace {

/// Parses `text`, failing the test with the parser's message.
prometheus_exposition parse_ok(const std::string& text) {
    try {
        return parse_prometheus_text(text);
    } catch (const prometheus_parse_error& error) {
        FAIL("rejected: " << error.what() << "\n" << text);
    }
    return {};
}

/// Requires `text` to be rejected, at `line` when not 0.
void parse_fails(const std::string& text, int line) {
    INFO("input:\n" << text);
    try {
        parse_prometheus_text(text);
    } catch (const prometheus_parse_error& error) {
        INFO("error: " << error.what());
        if (line != 0) REQUIRE(error.line() == line);
        return;
    }
    FAIL("accepted an invalid exposition");
}

const std::string histogram_ok =
    "# TYPE h histogram\n"
    "h_bucket{le=\"0.1\"} 1\n"
    "h_bucket{le=\"1\"} 3\n"
    "h_bucket{le=\"+Inf\"} 4\n"
    "h_sum 2.5\n"
    "h_count 4\n";

/// One HTTP exchange on a plain socket, reading until the server closes:
/// for HEAD, whose response has a Content-Length but no body.
std::string raw_exchange(std::uint16_t port, const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    timeval limit{3, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
    std::string response;
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        response.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
    return response;
}

/// The daemon's soft RLIMIT_NOFILE, from /proc/PID/limits.
double max_open_files(pid_t pid) {
    std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
    std::string line;
    while (std::getline(limits, line)) {
        if (line.rfind("Max open files", 0) != 0) continue;
        std::istringstream fields(line.substr(std::string("Max open files").size()));
        double soft = 0;
        fields >> soft;
        return soft;
    }
    FAIL("no Max open files in /proc/" << pid << "/limits");
    return 0;
}

bool looks_like_address(const std::string& value) {
    static const std::regex ipv4("(^|[^0-9])[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");
    static const std::regex ipv6("[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]*");
    return std::regex_search(value, ipv4) || std::regex_search(value, ipv6);
}

std::string series_text(const prometheus_sample& sample) {
    std::string out = sample.name + "{";
    for (const auto& [label, value] : sample.labels) out += label + "=\"" + value + "\",";
    return out + "} " + std::to_string(sample.value);
}

struct family_spec {
    const char* name;
    const char* type;
};

// Every family the operations spec names, with its type.
constexpr family_spec required_families[] = {
    {"onymous_build_info", "gauge"},
    {"onymous_connections", "gauge"},
    {"onymous_websocket_connections", "gauge"},
    {"onymous_connection_places", "gauge"},
    {"onymous_sessions", "gauge"},
    {"onymous_sessions_in_grace", "gauge"},
    {"onymous_waiting_sessions", "gauge"},
    {"onymous_paired_sessions", "gauge"},
    {"onymous_pairings_total", "counter"},
    {"onymous_relayed_messages_total", "counter"},
    {"onymous_errors_total", "counter"},
    {"onymous_closes_total", "counter"},
    {"onymous_refused_connections_total", "counter"},
    {"onymous_handshake_failures_total", "counter"},
    {"onymous_match_wait_seconds", "histogram"},
    {"onymous_relay_latency_seconds", "histogram"},
    {"onymous_outbound_queued_bytes", "gauge"},
    {"onymous_outbound_queue_peak_bytes", "gauge"},
    {"onymous_buffered_bytes", "gauge"},
    {"onymous_buffered_bytes_limit", "gauge"},
    {"onymous_buffered_evictions_total", "counter"},
    {"onymous_overloaded", "gauge"},
    {"onymous_resume_history_bytes", "gauge"},
    {"onymous_resumes_total", "counter"},
    {"onymous_resume_grace_expired_total", "counter"},
    {"onymous_reloads_total", "counter"},
    {"onymous_config_last_reload_successful", "gauge"},
    {"onymous_certificate_expiry_seconds", "gauge"},
    {"onymous_event_loops_stalled", "gauge"},
    {"process_open_fds", "gauge"},
    {"process_max_fds", "gauge"},
    {"process_resident_memory_bytes", "gauge"},
    {"process_start_time_seconds", "gauge"},
    {"process_cpu_seconds_total", "counter"},
    {"onymous_http_refusals_total", "counter"},
    {"onymous_per_address_refusals_total", "counter"},
    {"onymous_tracked_addresses", "gauge"},
    {"onymous_proxy_header_failures_total", "counter"},
    {"onymous_close_deadline_aborts_total", "counter"},
    {"onymous_connections_accepted_total", "counter"},
    {"onymous_internal_errors_total", "counter"},
    {"onymous_matcher_operations_total", "counter"},
    {"onymous_proofs_total", "counter"},
    {"onymous_reports_total", "counter"},
    {"onymous_addresses_shadowed", "gauge"},
    {"onymous_addresses_suspended", "gauge"},
    {"onymous_skips_refused_total", "counter"},
};

/// The label values the spec allows, per family and label.
void check_label_values(const prometheus_exposition& metrics) {
    const std::set<std::string> modes{"text", "video"};
    const std::set<std::string> relayed{"offer", "answer", "candidate"};
    const std::set<std::string> reasons{"capacity",         "hard_cap",     "overloaded",
                                        "draining",         "origin",       "per_address_open",
                                        "per_address_rate", "proxy_header", "untrusted_peer"};
    const std::set<std::string> stages{"accept", "proxy_header", "request"};
    const std::set<std::string> causes{"tls", "http", "websocket", "timeout"};
    const std::set<std::string> resumes{"resumed", "failed"};
    const std::set<std::string> reloads{"ok", "failed"};
    const std::set<std::string> error_codes{"bad_json",      "invalid_message", "unknown_type",
                                            "bad_state",     "invalid_sdp",     "invalid_candidate",
                                            "rate_limited",  "invalid_proof",   "suspended",
                                            "resume_failed", "draining"};
    const std::set<std::string> proofs{"verified",     "missing", "malformed",
                                       "too_few_bits", "expired", "foreign"};
    const std::set<std::string> reports{"counted", "repeated", "ignored_over_limit", "ignored_self",
                                        "ignored_unknown"};
    const std::map<std::string, std::pair<std::string, const std::set<std::string>*>> enums{
        {"onymous_waiting_sessions", {"mode", &modes}},
        {"onymous_relayed_messages_total", {"type", &relayed}},
        {"onymous_handshake_failures_total", {"cause", &causes}},
        {"onymous_resumes_total", {"outcome", &resumes}},
        {"onymous_reloads_total", {"outcome", &reloads}},
        {"onymous_errors_total", {"code", &error_codes}},
        {"onymous_proofs_total", {"result", &proofs}},
        {"onymous_reports_total", {"outcome", &reports}},
    };
    for (const auto& [name, rule] : enums) {
        const auto* family = metrics.family(name);
        if (family == nullptr) continue;  // required_families reports it
        for (const auto& sample : family->samples) {
            INFO(name << " at line " << sample.line);
            REQUIRE(sample.labels.size() == 1);
            REQUIRE(sample.labels.count(rule.first) == 1);
            INFO(rule.first << "=\"" << sample.labels.at(rule.first) << "\"");
            REQUIRE(rule.second->count(sample.labels.at(rule.first)) == 1);
        }
    }
    if (const auto* refused = metrics.family("onymous_refused_connections_total")) {
        // Every reason at every stage, each once: the series exist before
        // their first refusal, so rate() sees them from the start.
        REQUIRE(refused->samples.size() == reasons.size() * stages.size());
        for (const auto& sample : refused->samples) {
            INFO("onymous_refused_connections_total at line " << sample.line);
            REQUIRE(sample.labels.size() == 2);
            REQUIRE(reasons.count(sample.labels.at("reason")) == 1);
            REQUIRE(stages.count(sample.labels.at("stage")) == 1);
        }
    }
    if (const auto* closes = metrics.family("onymous_closes_total")) {
        // Numeric close codes, plus one bucket for codes outside the known
        // set (keeps the label's cardinality bounded whatever a client sends).
        const std::regex code("[1-4][0-9]{3}|other");
        for (const auto& sample : closes->samples) {
            INFO("onymous_closes_total at line " << sample.line << ": " << series_text(sample));
            REQUIRE(sample.labels.size() == 1);
            REQUIRE(sample.labels.count("code") == 1);
            REQUIRE(std::regex_match(sample.labels.at("code"), code));
        }
    }
}

}  // namespace

TEST_CASE("the Prometheus text parser accepts the format and rejects violations",
          "[metrics_test]") {
    const auto good = parse_ok(
        "# A comment.\n"
        "# HELP requests_total Requests, with a \\\\ and a \\n in the help.\n"
        "# TYPE requests_total counter\n"
        "requests_total{code=\"200\",path=\"/a\\\"b\\\\c\\nd\"} 1027 1395066363000\n"
        "requests_total{code=\"400\",} 3\n"
        "\n"
        "# TYPE temperature gauge\n"
        "temperature -1.5e3\n"
        "# TYPE odd gauge\n"
        "odd{kind=\"nan\"} NaN\n"
        "odd{kind=\"inf\"} +Inf\n"
        "odd{kind=\"ninf\"} -Inf\n"
        "odd{kind=\"utf8\"} .5\n" +
        histogram_ok +
        "# TYPE rpc summary\n"
        "rpc{quantile=\"0.5\"} 4\n"
        "rpc{quantile=\"0.99\"} 9\n"
        "rpc_sum 30\n"
        "rpc_count 7\n");
    REQUIRE(good.families.size() == 5);
    REQUIRE(good.family("requests_total")->help == "Requests, with a \\ and a \n in the help.");
    REQUIRE(good.value("requests_total", {{"code", "200"}, {"path", "/a\"b\\c\nd"}}) == 1027);
    REQUIRE(
        good.sample("requests_total", {{"code", "200"}, {"path", "/a\"b\\c\nd"}})->timestamp_ms ==
        1395066363000);
    REQUIRE(good.value("requests_total", {{"code", "400"}}) == 3);
    REQUIRE(good.value("temperature") == -1500);
    REQUIRE(std::isnan(*good.value("odd", {{"kind", "nan"}})));
    REQUIRE(std::isinf(*good.value("odd", {{"kind", "inf"}})));
    REQUIRE(*good.value("odd", {{"kind", "ninf"}}) < 0);
    REQUIRE(good.value("h_bucket", {{"le", "+Inf"}}) == 4);
    REQUIRE(good.value("h_count") == 4);
    REQUIRE(good.family("h")->samples.size() == 5);
    REQUIRE(good.value_or_zero("absent") == 0);
    REQUIRE_FALSE(good.value("absent").has_value());

    // Each violation, with the line it is reported at (0: at the end).
    parse_fails("x 1\n", 1);                                                  // no TYPE
    parse_fails("# HELP x help\nx 1\n", 2);                                   // HELP only
    parse_fails("# TYPE x gauge\nx 1\nx 2\n", 3);                             // duplicate series
    parse_fails("# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n", 2);                 // duplicate label
    parse_fails("# TYPE x gauge\n# TYPE x gauge\n", 2);                       // second TYPE
    parse_fails("# TYPE x gauge\n# TYPE y gauge\ny 1\n# TYPE x gauge\n", 4);  // not contiguous
    parse_fails("# TYPE x gauge\nx{a=\"1\"} 1\n# TYPE y gauge\nx{a=\"2\"} 1\n", 4);
    parse_fails("# TYPE x countr\n", 1);  // unknown type
    parse_fails("# TYPE x gauge extra\n", 1);
    parse_fails("# TYPE x gauge\nx_total 1\n", 2);                     // not the family's name
    parse_fails("# TYPE 1x gauge\n", 1);                               // bad metric name
    parse_fails("# TYPE x gauge\nx{1a=\"v\"} 1\n", 2);                 // bad label name
    parse_fails("# TYPE x gauge\nx{__a=\"v\"} 1\n", 2);                // reserved label name
    parse_fails("# TYPE x gauge\nx{a=\"\\t\"} 1\n", 2);                // bad escape
    parse_fails("# TYPE x gauge\nx{a=\"v} 1\n", 2);                    // unterminated value
    parse_fails("# TYPE x gauge\nx{a=v} 1\n", 2);                      // unquoted value
    parse_fails("# TYPE x gauge\nx{a=\"v\" b=\"w\"} 1\n", 2);          // missing comma
    parse_fails("# TYPE x gauge\nx{a=\"\xC3\"} 1\n", 2);               // not UTF-8
    parse_fails("# TYPE x gauge\nx one\n", 2);                         // not a float
    parse_fails("# TYPE x gauge\nx 1.\n# TYPE y gauge\ny 0x10\n", 4);  // hex is not allowed
    parse_fails("# TYPE x gauge\nx inf\n", 2);                         // only +Inf/-Inf/NaN
    parse_fails("# TYPE x gauge\nx\n", 2);                             // no value
    parse_fails("# TYPE x gauge\nx 1 2 3\n", 2);                       // text after timestamp
    parse_fails("# TYPE x gauge\nx 1 1.5\n", 2);                       // non-integer timestamp
    parse_fails("# TYPE x counter\nx -1\n", 2);                        // negative counter
    parse_fails("# HELP x a \\t b\n# TYPE x gauge\n", 1);              // bad HELP escape
    parse_fails("# TYPE x gauge\nx 1", 0);                             // no final newline
    parse_fails("# TYPE x gauge\nx 1\n# HELP x late\n", 3);            // HELP after samples
    // Histograms.
    parse_fails("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", 2);  // no +Inf
    parse_fails("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", 2);
    parse_fails(
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\n"
        "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
        3);  // not cumulative
    parse_fails(
        "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
        "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        3);                                                                      // le not ascending
    parse_fails("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", 0);  // no _sum
    parse_fails("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n", 0);    // no _count
    parse_fails("# TYPE h histogram\nh_bucket 1\n", 2);                          // no le
    parse_fails("# TYPE h histogram\nh 1\n", 2);                                 // bare name
    parse_fails("# TYPE h histogram\nh_bucket{le=\"x\"} 1\nh_sum 1\nh_count 1\n", 2);
    parse_fails("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count{le=\"1\"} 1\n", 4);
    // Separate label sets of one histogram are checked separately.
    parse_ok(
        "# TYPE h histogram\n"
        "h_bucket{m=\"a\",le=\"+Inf\"} 1\nh_sum{m=\"a\"} 1\nh_count{m=\"a\"} 1\n"
        "h_bucket{m=\"b\",le=\"+Inf\"} 2\nh_sum{m=\"b\"} 1\nh_count{m=\"b\"} 2\n");
    parse_fails(
        "# TYPE h histogram\n"
        "h_bucket{m=\"a\",le=\"+Inf\"} 1\nh_sum{m=\"a\"} 1\nh_count{m=\"a\"} 1\n"
        "h_bucket{m=\"b\",le=\"+Inf\"} 2\nh_sum{m=\"b\"} 1\nh_count{m=\"b\"} 1\n",
        5);
    // Summaries.
    parse_fails("# TYPE s summary\ns{quantile=\"2\"} 1\ns_sum 1\ns_count 1\n", 2);
    parse_fails("# TYPE s summary\ns 1\ns_sum 1\ns_count 1\n", 2);
}

TEST_CASE("/metrics parses strictly, and its counters move exactly with traffic",
          "[metrics_test][e2e]") {
    const double started = unix_now();
    const std::string origin = "https://chat.onymous.example";
    daemon_process daemon({{"allowed_origins", json::array({origin})}, quick_close});
    connect_options allowed;
    allowed.origin = origin;
    const auto before = scrape(daemon);
    const auto delta = [&](const prometheus_exposition& now, const char* name,
                           const label_set& labels = {}) {
        return now.value_or_zero(name, labels) - before.value_or_zero(name, labels);
    };

    // build info: one series, a version label, value 1.
    const auto* build = before.family("onymous_build_info");
    REQUIRE(build != nullptr);
    REQUIRE(build->samples.size() == 1);
    REQUIRE(build->samples[0].labels.count("version") == 1);
    REQUIRE_FALSE(build->samples[0].labels.at("version").empty());
    REQUIRE(build->samples[0].value == 1);
    REQUIRE(before.value("onymous_event_loops_stalled") == 0.0);
    REQUIRE(before.value("onymous_config_last_reload_successful") == 1.0);

    // Two clients with a shared interest: one waits, then they pair.
    const std::string interest = "zebra-crossing";
    auto a = open_client(daemon, allowed);
    connect_options plain_allowed = allowed;
    plain_allowed.tls = false;
    auto b = open_client(daemon, plain_allowed);
    const std::vector<std::string> tokens{hello_token(a), hello_token(b)};
    wait_for_sample(daemon, "onymous_websocket_connections", {}, 2);
    join(a, "text", {interest});
    auto metrics = wait_for_sample(daemon, "onymous_waiting_sessions", {{"mode", "text"}}, 1);
    REQUIRE(metrics.value_or_zero("onymous_waiting_sessions", {{"mode", "video"}}) == 0);
    REQUIRE(metrics.value("onymous_sessions") == 2.0);
    REQUIRE(metrics.value_or_zero("onymous_paired_sessions") == 0);
    join(b, "text", {interest});
    const auto pairing = expect_pairing(a, b);
    metrics = wait_for_sample(daemon, "onymous_pairings_total", {},
                              before.value_or_zero("onymous_pairings_total") + 1);
    REQUIRE(metrics.value("onymous_paired_sessions") == 2.0);
    REQUIRE(metrics.value_or_zero("onymous_waiting_sessions", {{"mode", "text"}}) == 0);
    REQUIRE(delta(metrics, "onymous_match_wait_seconds_count") == 2);
    REQUIRE(delta(metrics, "onymous_match_wait_seconds_sum") >= 0);

    // One offer, one answer, one candidate relayed.
    auto& offerer = pairing.offerer(a, b);
    auto& answerer = pairing.answerer(a, b);
    offerer.send_json(offer_message(text_sdp("61")));
    expect_message(answerer, offer_message(text_sdp("61")));
    answerer.send_json(answer_message(text_sdp("62")));
    expect_message(offerer, answer_message(text_sdp("62")));
    offerer.send_json(candidate_message(candidate_init("63")));
    expect_message(answerer, candidate_message(candidate_init("63")));
    const auto relayed = [&](const char* type) {
        return before.value_or_zero("onymous_relayed_messages_total", {{"type", type}}) + 1;
    };
    wait_for_sample(daemon, "onymous_relayed_messages_total", {{"type", "offer"}},
                    relayed("offer"));
    wait_for_sample(daemon, "onymous_relayed_messages_total", {{"type", "answer"}},
                    relayed("answer"));
    metrics = wait_for_sample(daemon, "onymous_relayed_messages_total", {{"type", "candidate"}},
                              relayed("candidate"));
    REQUIRE(delta(metrics, "onymous_relay_latency_seconds_count") == 3);
    REQUIRE(delta(metrics, "onymous_relay_latency_seconds_sum") >= 0);
    REQUIRE(delta(metrics, "onymous_pairings_total") == 1);

    // An error sent to a client: join while paired is bad_state.
    a.send_json(join_message("text"));
    expect_error(a, "bad_state", "join");
    metrics =
        wait_for_sample(daemon, "onymous_errors_total", {{"code", "bad_state"}},
                        before.value_or_zero("onymous_errors_total", {{"code", "bad_state"}}) + 1);
    REQUIRE(delta(metrics, "onymous_relayed_messages_total", {{"type", "offer"}}) == 1);

    // A 403 for a foreign Origin.
    ws_client foreign;
    connect_options elsewhere;
    elsewhere.origin = "https://evil.example";
    REQUIRE_FALSE(foreign.connect(daemon.tls_port(), elsewhere));
    REQUIRE(foreign.upgrade_response().status == 403);
    wait_for_sample(daemon, "onymous_refused_connections_total",
                    {{"reason", "origin"}, {"stage", "request"}},
                    before.value_or_zero("onymous_refused_connections_total",
                                         {{"reason", "origin"}, {"stage", "request"}}) +
                        1);

    // A client close (1000), then a drop without a close frame (1006), whose
    // session then waits in its resume grace.
    REQUIRE(a.close(1000).close_frame);
    expect_message(b, {{"type", "partner_left"}});
    metrics = wait_for_sample(daemon, "onymous_closes_total", {{"code", "1000"}},
                              before.value_or_zero("onymous_closes_total", {{"code", "1000"}}) + 1);
    REQUIRE(delta(metrics, "onymous_closes_total", {{"code", "1006"}}) == 0);
    b.drop();
    metrics = wait_for_sample(daemon, "onymous_closes_total", {{"code", "1006"}},
                              before.value_or_zero("onymous_closes_total", {{"code", "1006"}}) + 1);
    REQUIRE(delta(metrics, "onymous_closes_total", {{"code", "1000"}}) == 1);
    metrics = wait_for_sample(daemon, "onymous_sessions_in_grace", {}, 1);
    REQUIRE(metrics.value("onymous_websocket_connections") == 0.0);
    REQUIRE(metrics.value_or_zero("onymous_paired_sessions") == 0);

    // The final scrape: every family, with its type; the enumerated labels.
    for (const auto& spec : required_families) {
        INFO("family " << spec.name);
        const auto* family = metrics.family(spec.name);
        REQUIRE(family != nullptr);
        REQUIRE(family->type == spec.type);
    }
    for (const auto& family : metrics.families) {
        INFO("family " << family.name << " of type " << family.type);
        // All counters end in _total, and only counters do.
        const bool total =
            family.name.size() > 6 && family.name.compare(family.name.size() - 6, 6, "_total") == 0;
        REQUIRE(total == (family.type == "counter"));
    }
    check_label_values(metrics);

    // Process metrics.
    const double open_fds = *metrics.value("process_open_fds");
    const auto descriptors = static_cast<double>(open_descriptors(daemon.pid()));
    INFO("process_open_fds " << open_fds << ", /proc/PID/fd has " << descriptors);
    REQUIRE(open_fds > 0);
    REQUIRE(std::abs(open_fds - descriptors) <= 10);
    REQUIRE(metrics.value("process_max_fds") == max_open_files(daemon.pid()));
    const double resident = *metrics.value("process_resident_memory_bytes");
    INFO("process_resident_memory_bytes " << resident);
    REQUIRE(resident > 1024 * 1024);
    REQUIRE(resident < 4.0 * 1024 * 1024 * 1024);
    const double start_time = *metrics.value("process_start_time_seconds");
    INFO("process_start_time_seconds " << std::fixed << start_time << ", test started " << started);
    REQUIRE(start_time >= std::floor(started) - 2);
    REQUIRE(start_time <= unix_now() + 1);
    const double cpu = *metrics.value("process_cpu_seconds_total");
    REQUIRE(cpu >= 0);
    REQUIRE(cpu <= (unix_now() - started) * 2 + 1);  // two threads at most busy

    // Seconds until the served certificate's notAfter.
    const double expiry = *metrics.value("onymous_certificate_expiry_seconds");
    const double expected =
        std::chrono::duration<double>(certificate_not_after(shared_tls().certificate) -
                                      std::chrono::system_clock::now())
            .count();
    INFO("onymous_certificate_expiry_seconds " << expiry << ", expected about " << expected);
    REQUIRE(std::abs(expiry - expected) <= 300);

    // No address, token or interest anywhere in the exposition.
    const auto body = http_exchange(daemon.admin_port(), false, get_request("/metrics")).body;
    for (const auto& secret : {std::string("127.0.0.1"), tokens[0], tokens[1], interest}) {
        INFO("looking for " << secret);
        REQUIRE(body.find(secret) == std::string::npos);
    }
    for (const auto* sample : metrics.all_samples())
        for (const auto& [label, value] : sample->labels) {
            INFO(sample->name << " line " << sample->line << ": " << label << "=\"" << value
                              << "\"");
            REQUIRE_FALSE(looks_like_address(value));
            REQUIRE_FALSE(is_token(value));
        }
    finish_clean(daemon);
}

TEST_CASE("/healthz and /readyz answer on the admin listener only", "[metrics_test][e2e]") {
    daemon_process daemon;
    const auto admin = daemon.admin_port();
    const auto health = http_exchange(admin, false, get_request("/healthz"));
    REQUIRE(health.status == 200);
    REQUIRE(health.body == "ok\n");
    const auto ready = http_exchange(admin, false, get_request("/readyz"));
    REQUIRE(ready.status == 200);
    REQUIRE(ready.body == "ready\n");
    // HEAD: the status and headers, no body.
    const auto head = raw_exchange(
        admin, "HEAD /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    INFO("HEAD /healthz:\n" << head);
    REQUIRE(head.rfind("HTTP/1.1 200", 0) == 0);
    const auto end_of_headers = head.find("\r\n\r\n");
    REQUIRE(end_of_headers != std::string::npos);
    REQUIRE(end_of_headers + 4 == head.size());
    REQUIRE(http_exchange(admin, false, get_request("/no-such-thing")).status == 404);

    // The public listeners do not serve the admin endpoints' content.
    for (const bool tls : {true, false}) {
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        for (const char* target : {"/metrics", "/healthz", "/readyz"}) {
            const auto response = http_exchange(port, tls, get_request(target));
            INFO((tls ? "TLS" : "plain")
                 << " listener, GET " << target << ": " << response.status << "\n"
                 << response.body);
            REQUIRE(response.status != 200);
            REQUIRE(response.body.find("onymous_") == std::string::npos);
        }
    }
    finish(daemon);
}
