// The command line: --check-config validates like `nginx -t` (naming file,
// line and dotted key; refusing a key that does not match its certificate),
// relative TLS paths resolve against the config's directory, --version,
// --help, --config refusing a bad file, the ready file, and SIGINT.

#include "helpers.hpp"
#include "tls_material.hpp"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

using namespace onymous::test;

namespace {

process_result run_onymousd(const std::vector<std::string>& args,
                            const std::filesystem::path& cwd = "/") {
    std::vector<std::string> argv{ONYMOUSD_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = run_process(argv, 20s, cwd);
    REQUIRE_FALSE(result.timed_out);
    return result;
}

process_result check_config(const std::filesystem::path& file) {
    return run_onymousd({"--check-config", file.string()});
}

/// A complete, valid config written by hand, one key per line, using the
/// certificate and key names given (relative to the config's directory).
std::string operator_config(const std::string& certificate, const std::string& key,
                            const std::string& limits_line) {
    return "# onymousd test configuration\n"  // 1
           "threads: 1\n"                     // 2
           "listeners:\n"                     // 3
           "  - address: 127.0.0.1\n"         // 4
           "    port: 0\n"                    // 5
           "limits:\n"                        // 6
           "  " +
           limits_line +
           "\n"                      // 7
           "  ping_interval: 20s\n"  // 8
           "tls:\n"                  // 9
           "  certificate: " +
           certificate +
           "\n"  // 10
           "  private_key: " +
           key +
           "\n"                      // 11
           "admin:\n"                // 12
           "  address: 127.0.0.1\n"  // 13
           "  port: 0\n";            // 14
}

/// Requires exit code 1 and a message on stderr naming `file:line:` and `key`.
void expect_refused(const process_result& result, const std::string& file_name, int line,
                    const std::string& key) {
    INFO(result.status.describe() << "; stderr: " << result.err);
    REQUIRE(result.status.exited_with(1));
    const std::string where = file_name + ":" + std::to_string(line) + ":";
    REQUIRE(result.err.find(where) != std::string::npos);
    REQUIRE(result.err.find(key) != std::string::npos);
    // The key comes after the place, as in "x.yaml:7: limits.max_message_bytes: expected ...".
    REQUIRE(result.err.find(key, result.err.find(where)) != std::string::npos);
}

}  // namespace

TEST_CASE("--check-config accepts a valid file, with TLS paths relative to its directory",
          "[check_config_test][e2e]") {
    temp_dir dir;
    const auto tls = make_self_signed(dir.path(), "site");
    const auto file = dir.write(
        "good.yaml", operator_config("site.crt.pem", "site.key.pem", "max_message_bytes: 65536"));
    // Run from "/" so that only resolution against the file's directory works.
    const auto result = check_config(file);
    INFO(result.status.describe() << "; stderr: " << result.err);
    REQUIRE(result.status.exited_with(0));

    // The same relative names from another directory do not exist.
    temp_dir elsewhere;
    const auto moved = elsewhere.write(
        "good.yaml", operator_config("site.crt.pem", "site.key.pem", "max_errors: 20"));
    const auto missing = check_config(moved);
    INFO(missing.err);
    REQUIRE(missing.status.exited_with(1));
    REQUIRE_FALSE(missing.err.empty());
}

TEST_CASE("--check-config warns about a likely mistake and still succeeds",
          "[check_config_test][e2e]") {
    temp_dir dir;
    const auto file = dir.write("warned.yaml",
                                "listeners:\n"
                                "  - address: 127.0.0.1\n"
                                "    port: 8080\n"
                                "    tls: false\n"
                                "limits:\n"
                                "  pair_max_offers: 40\n");
    const auto result = check_config(file);
    INFO(result.status.describe() << "; stderr: " << result.err);
    REQUIRE(result.status.exited_with(0));
    REQUIRE(result.err ==
            "onymousd: warning: listeners[0] (127.0.0.1 port 8080) is plain on loopback, as "
            "behind a TLS-terminating proxy, but trusted_proxies is empty: X-Forwarded-For is "
            "ignored and every client counts as the proxy's address for the per-address limits\n"
            "onymousd: warning: limits.pair_max_offers x limits.max_sdp_bytes (40 x 32768 = "
            "1310720 bytes) exceeds limits.max_outbound_bytes (1048576): a partner within its "
            "per-pairing caps can fill a slow reader's outbound queue and have it closed with "
            "1008\n"
            "onymousd: configuration file " +
                file.string() + " test is successful\n");
}

TEST_CASE("--check-config names the file, line and key of a bad value",
          "[check_config_test][e2e]") {
    temp_dir dir;
    make_self_signed(dir.path(), "site");
    const auto cert = std::string("site.crt.pem");
    const auto key = std::string("site.key.pem");
    // Line 7 in every case.
    expect_refused(
        check_config(dir.write("bad.yaml", operator_config(cert, key, "max_message_bytes: lots"))),
        "bad.yaml", 7, "limits.max_message_bytes");
    expect_refused(
        check_config(dir.write("range.yaml", operator_config(cert, key, "max_message_bytes: 1"))),
        "range.yaml", 7, "limits.max_message_bytes");
    expect_refused(
        check_config(dir.write("negative.yaml", operator_config(cert, key, "max_connections: -5"))),
        "negative.yaml", 7, "limits.max_connections");
    expect_refused(check_config(dir.write("unknown.yaml",
                                          operator_config(cert, key, "max_mesage_bytes: 4096"))),
                   "unknown.yaml", 7, "limits.max_mesage_bytes");
    expect_refused(check_config(dir.write("duration.yaml",
                                          operator_config(cert, key, "idle_timeout: 60 parsecs"))),
                   "duration.yaml", 7, "limits.idle_timeout");
    expect_refused(
        check_config(dir.write("unit.yaml", operator_config(cert, key, "handshake_timeout: 10"))),
        "unit.yaml", 7, "limits.handshake_timeout");
    expect_refused(
        check_config(dir.write("map.yaml", operator_config(cert, key, "max_errors: [1, 2]"))),
        "map.yaml", 7, "limits.max_errors");

    // A top-level key and a wrong type at the top.
    auto top = operator_config(cert, key, "max_errors: 20");
    expect_refused(check_config(dir.write("threads.yaml", top + "threads_per_core: 2\n")),
                   "threads.yaml", 15, "threads_per_core");
    std::string mode = top;
    mode.replace(mode.find("threads: 1"), 10, "threads: many");
    expect_refused(check_config(dir.write("type.yaml", mode)), "type.yaml", 2, "threads");
}

TEST_CASE("--check-config refuses a private key that does not match the certificate",
          "[check_config_test][e2e]") {
    temp_dir dir;
    make_self_signed(dir.path(), "site");
    make_private_key(dir.file("other.key.pem"));
    const auto file = dir.write("mismatch.yaml",
                                operator_config("site.crt.pem", "other.key.pem", "max_errors: 20"));
    const auto result = check_config(file);
    INFO(result.status.describe() << "; stderr: " << result.err);
    REQUIRE(result.status.exited_with(1));
    REQUIRE_FALSE(result.err.empty());
    // And the daemon refuses to start on it.
    const auto run = run_onymousd({"--config", file.string()});
    INFO("--config: " << run.status.describe() << "; stderr: " << run.err);
    REQUIRE(run.status.exited_with(1));
}

TEST_CASE("--check-config refuses a missing file and bad YAML", "[check_config_test][e2e]") {
    temp_dir dir;
    const auto missing = check_config(dir.file("absent.yaml"));
    INFO(missing.err);
    REQUIRE(missing.status.exited_with(1));
    REQUIRE(missing.err.find("absent.yaml") != std::string::npos);
    const auto broken = check_config(dir.write("broken.yaml", "threads: 1\nlisteners: [\n"));
    INFO(broken.err);
    REQUIRE(broken.status.exited_with(1));
    REQUIRE(broken.err.find("broken.yaml") != std::string::npos);
}

TEST_CASE("--config refuses a bad file at once, with the reason", "[check_config_test][e2e]") {
    temp_dir dir;
    make_self_signed(dir.path(), "site");
    const auto file = dir.write(
        "bad.yaml", operator_config("site.crt.pem", "site.key.pem", "max_message_bytes: lots"));
    expect_refused(run_onymousd({"--config", file.string()}), "bad.yaml", 7,
                   "limits.max_message_bytes");
}

TEST_CASE("--version and --help", "[check_config_test][e2e]") {
    const auto version = run_onymousd({"--version"});
    INFO(version.out << version.err);
    REQUIRE(version.status.exited_with(0));
    // "onymousd <major>.<minor>.<patch>" on one line.
    const std::string prefix = "onymousd ";
    REQUIRE(version.out.rfind(prefix, 0) == 0);
    std::string number = version.out.substr(prefix.size());
    if (!number.empty() && number.back() == '\n') number.pop_back();
    REQUIRE(std::count(number.begin(), number.end(), '.') == 2);
    REQUIRE(std::all_of(number.begin(), number.end(), [](char c) {
        return c == '.' || std::isdigit(static_cast<unsigned char>(c));
    }));
    REQUIRE(number.front() != '.');
    REQUIRE(number.find("..") == std::string::npos);
    const auto help = run_onymousd({"--help"});
    INFO(help.out << help.err);
    REQUIRE(help.status.exited_with(0));
    const auto usage = help.out + help.err;
    for (const char* option : {"--config", "--check-config", "--version", "--help"})
        REQUIRE(usage.find(option) != std::string::npos);
}

TEST_CASE("the ready file lists the listeners in config order; TLS paths may be relative",
          "[check_config_test][e2e]") {
    // Relative to the config file's directory (a sibling under $TMPDIR), not
    // to the working directory the daemon inherits.
    const auto shared = shared_tls();
    const auto sibling = std::filesystem::path("..") / shared.certificate.parent_path().filename();
    daemon_process daemon(
        {{"listeners", json::array({{{"address", "127.0.0.1"}, {"port", 0}, {"tls", false}},
                                    {{"address", "127.0.0.1"}, {"port", 0}, {"tls", true}},
                                    {{"address", "127.0.0.1"}, {"port", 0}, {"tls", false}}})},
         {"tls.certificate", (sibling / shared.certificate.filename()).string()},
         {"tls.private_key", (sibling / shared.private_key.filename()).string()}});
    const auto& listeners = daemon.listeners();
    REQUIRE(listeners.size() == 3);
    REQUIRE_FALSE(listeners[0].tls);
    REQUIRE(listeners[1].tls);
    REQUIRE_FALSE(listeners[2].tls);
    for (const auto& listener : listeners) {
        REQUIRE(listener.address == "127.0.0.1");
        REQUIRE(listener.port != 0);
        ws_client client;
        connect_options options;
        options.tls = listener.tls;
        INFO("listener on port " << listener.port << (listener.tls ? " (TLS)" : ""));
        REQUIRE(client.connect(listener.port, options));
        REQUIRE(next_message(client)["type"] == "hello");
    }
    REQUIRE(listeners[0].port != listeners[2].port);
    REQUIRE(daemon.admin_port() != 0);
    finish(daemon);
}

TEST_CASE("SIGINT stops the daemon with exit code 0", "[check_config_test][e2e]") {
    daemon_process daemon;
    auto client = open_client(daemon);
    join(client);
    const auto status = daemon.stop(5s, SIGINT);
    INFO("onymousd " << status.describe() << "; stderr:\n" << daemon.log());
    REQUIRE(status.exited_with(0));
    REQUIRE(client.expect_close().closed);
}
