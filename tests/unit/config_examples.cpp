// The shipped example files load, and every key is documented.
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace onymous::config;
using namespace onymous::config::test;

namespace {

const std::string source_dir = ONYMOUS_SOURCE_DIR;

std::string read_source(const std::string& relative) {
    std::ifstream in(source_dir + "/" + relative);
    REQUIRE(in.good());
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

// The text with the "# " of every line from `marker` to the end removed: the
// file's commented-out example, switched on.
std::string uncomment_from(const std::string& text, const std::string& marker) {
    const auto start = text.find(marker);
    REQUIRE(start != std::string::npos);
    std::string out = text.substr(0, start);
    std::istringstream rest(text.substr(start));
    for (std::string line; std::getline(rest, line);) {
        out += (line.starts_with("# ") ? line.substr(2) : line) + "\n";
    }
    return out;
}

}  // namespace

TEST_CASE("the production example loads with the contract's defaults", "[config]") {
    const settings s = load_file(source_dir + "/config/onymousd.yaml");
    REQUIRE(s.listeners.size() == 1);
    CHECK(s.listeners[0] == listener{"::", 443, true, false, ""});
    CHECK(s.tls.certificate == "/etc/onymous/tls/fullchain.pem");
    CHECK(s.tls.private_key == "/etc/onymous/tls/privkey.pem");

    // Everything else is as if the keys were left out.
    settings expected;
    expected.listeners = s.listeners;
    expected.tls.certificate = s.tls.certificate;
    expected.tls.private_key = s.tls.private_key;
    CHECK(s == expected);
    CHECK(s.admin == admin_settings{"127.0.0.1", 9090});
    CHECK_FALSE(s.cluster.has_value());
    CHECK(warnings(s).empty());
}

TEST_CASE("the production example's cluster section is valid once switched on", "[config]") {
    const std::string text = uncomment_from(read_source("config/onymousd.yaml"), "# cluster:");
    const settings s = parse(text, "onymousd.yaml");
    REQUIRE(s.cluster.has_value());
    CHECK(s.cluster->redis == "redis://127.0.0.1:6379");
    CHECK(s.cluster->node_id.empty());
    CHECK(s.cluster->heartbeat_interval == cluster_settings{}.heartbeat_interval);
    CHECK(s.cluster->node_timeout == cluster_settings{}.node_timeout);
}

TEST_CASE("the development config loads with paths beside it", "[config]") {
    const settings s = load_file(source_dir + "/config/dev.yaml");
    REQUIRE(s.listeners.size() == 2);
    CHECK(s.listeners[0] == listener{"127.0.0.1", 8443, true, false, ""});
    CHECK(s.listeners[1] == listener{"127.0.0.1", 8080, false, false, ""});
    CHECK(s.tls.certificate == source_dir + "/config/dev-tls/cert.pem");
    CHECK(s.tls.private_key == source_dir + "/config/dev-tls/key.pem");
    CHECK(s.admin == admin_settings{"127.0.0.1", 9090});
    CHECK(s.logging.level == log_level::info);
    CHECK(s.ice.stun.empty());
    CHECK(s.ice.turn.urls.empty());
    CHECK(s.trusted_proxies == std::vector<std::string>{"127.0.0.1/32"});
    CHECK(warnings(s).empty());
}

TEST_CASE("load_file names the file it cannot read", "[config]") {
    const std::string missing = source_dir + "/config/no-such-file.yaml";
    CHECK_THROWS_WITH(load_file(missing), missing + ": cannot read: No such file or directory");
    const scratch_dir dir;
    const std::string bad = dir.write("bad.yaml", std::string(plain) + "threads: x\n");
    CHECK_THROWS_WITH(load_file(bad),
                      bad + ":2: threads: expected an integer from 0 to 1024, got \"x\"");
}

TEST_CASE("every key is documented and in the production example", "[config]") {
    const std::string docs = read_source("docs/configuration.md");
    const std::string example = read_source("config/onymousd.yaml");
    const std::vector<std::string> keys = key_names();
    // CONFIG.md's keys (listeners, its 5 item keys, 56 others) and
    // limits.close_timeout.
    CHECK(keys.size() == 63);
    for (const std::string& key : keys) {
        INFO(key);
        CHECK(docs.find("`" + key + "`") != std::string::npos);
        const std::string leaf = key.substr(key.rfind('.') + 1);
        CHECK(example.find(leaf + ":") != std::string::npos);
    }
}
