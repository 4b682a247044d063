// Checks that span several keys, listeners, TLS paths and the TURN secret
// file, with their exact messages.
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

using namespace onymous::config;
using namespace onymous::config::test;
using namespace std::chrono_literals;

TEST_CASE("at least one listener, each with address and port", "[config]") {
    CHECK(refusal("threads: 1\n") ==
          "t.yaml:1: listeners: missing, expected a list of at least one listener");
    CHECK(refusal("threads: 1\nlisteners: []\n") ==
          "t.yaml:2: listeners: expected a list of at least one listener, got an empty list");
    CHECK(refusal("threads: 1\nlisteners:\n") ==
          "t.yaml:2: listeners: expected a list of at least one listener, got nothing");
    CHECK(refusal("listeners: {address: 127.0.0.1, port: 1}\n") ==
          "t.yaml:1: listeners: expected a list of at least one listener, got a mapping");
    CHECK(refusal("listeners:\n  - 127.0.0.1:443\n") ==
          "t.yaml:2: listeners[0]: expected a mapping with address, port and tls, got "
          "\"127.0.0.1:443\"");
    CHECK(refusal("listeners:\n  - {address: 127.0.0.1, port: 1, tls: false}\n  - {port: 2, tls: "
                  "false}\n") ==
          "t.yaml:3: listeners[1].address: missing, expected an IPv4 or IPv6 address such as "
          "127.0.0.1 or ::1");
    CHECK(refusal("listeners:\n  - address: 127.0.0.1\n    tls: false\n") ==
          "t.yaml:2: listeners[0].port: missing, expected an integer from 0 to 65535");
}

TEST_CASE("two listeners may not share an address and a port", "[config]") {
    CHECK(refusal("listeners:\n  - {address: 127.0.0.1, port: 80, tls: false}\n"
                  "  - {address: \"::1\", port: 80, tls: false}\n"
                  "  - address: 127.0.0.1\n    tls: false\n    port: 80\n") ==
          "t.yaml:6: listeners[2]: same address and port as listeners[0]");
    // Port 0 binds a fresh ephemeral port each time.
    CHECK(parse("listeners:\n  - {address: 127.0.0.1, port: 0, tls: false}\n"
                "  - {address: 127.0.0.1, port: 0, tls: false}\n",
                "t.yaml")
              .listeners.size() == 2);
}

TEST_CASE("a TLS listener needs the certificate and the key", "[config]") {
    CHECK(refusal("listeners:\n  - address: 127.0.0.1\n    port: 1\n    tls: true\n") ==
          "t.yaml:4: tls.certificate: required by the TLS listener listeners[0]");
    // tls defaults to true: blame the listener itself.
    CHECK(refusal(
              "listeners:\n  - {address: 127.0.0.1, port: 1, tls: false}\n  - address: 127.0.0.1\n"
              "    port: 2\n") ==
          "t.yaml:3: tls.certificate: required by the TLS listener listeners[1]");
    CHECK(refusal("listeners: [{address: 127.0.0.1, port: 1}]\ntls:\n  certificate: c.pem\n") ==
          "t.yaml:1: tls.private_key: required by the TLS listener listeners[0]");
    CHECK(refusal("listeners: [{address: 127.0.0.1, port: 1}]\ntls:\n  certificate: \"\"\n  "
                  "private_key: k.pem\n") ==
          "t.yaml:3: tls.certificate: required by the TLS listener listeners[0]");
    // Plain listeners need no TLS section.
    CHECK_FALSE(parse_plain("").needs_tls());
}

TEST_CASE("limits that depend on each other", "[config]") {
    CHECK(refusal_after_plain("limits:\n  max_message_bytes: 4096\n  max_sdp_bytes: 4097\n") ==
          "t.yaml:4: limits.max_sdp_bytes: expected at most limits.max_message_bytes (4096), got "
          "4097");
    // The refused key's own line, wherever the other one is.
    CHECK(refusal_after_plain(
              "limits:\n  max_sdp_bytes: 4097\n  burst: 1\n  max_message_bytes: 4096\n") ==
          "t.yaml:3: limits.max_sdp_bytes: expected at most limits.max_message_bytes (4096), got "
          "4097");
    CHECK(refusal_after_plain("limits:\n  max_outbound_bytes: 65535\n") ==
          "t.yaml:3: limits.max_outbound_bytes: expected at least limits.max_message_bytes "
          "(65536), got 65535");
    CHECK(refusal_after_plain("limits:\n  ping_interval: 1m\n  idle_timeout: 60s\n") ==
          "t.yaml:3: limits.ping_interval: expected less than limits.idle_timeout (1m), got 1m");
    // ping_interval left out: the line of idle_timeout.
    CHECK(
        refusal_after_plain("limits:\n  idle_timeout: 1500ms\n") ==
        "t.yaml:3: limits.ping_interval: expected less than limits.idle_timeout (1500ms), got 20s");
    CHECK(refusal_after_plain("cluster:\n  heartbeat_interval: 5s\n") ==
          "t.yaml:3: cluster.heartbeat_interval: expected less than cluster.node_timeout (5s), got "
          "5s");
    CHECK(refusal_after_plain("cluster:\n  redis: redis://127.0.0.1:99999\n") ==
          "t.yaml:3: cluster.redis: expected redis://[:password@]host:port or unix:/path");
    CHECK(refusal_after_plain("cluster:\n  redis: redis://127.0.0.1:1\n  node_id: a.b\n") ==
          "t.yaml:4: cluster.node_id: expected 1 to 55 letters, digits, '-' or '_', got \"a.b\"");
    CHECK(refusal_after_plain("cluster:\n  redis: redis://127.0.0.1:1\n  key_prefix: \"\"\n") ==
          "t.yaml:4: cluster.key_prefix: expected 1 to 64 letters, digits, '-' or '_', got \"\"");

    SECTION("sizes left out follow max_message_bytes") {
        const settings small = parse_plain("limits:\n  max_message_bytes: 4096\n");
        CHECK(small.limits.max_sdp_bytes == 4096);
        CHECK(small.limits.max_outbound_bytes == 1048576);
        const settings large = parse_plain("limits:\n  max_message_bytes: 2000000\n");
        CHECK(large.limits.max_sdp_bytes == 32768);
        CHECK(large.limits.max_outbound_bytes == 2000000);
        CHECK(refusal_after_plain(
                  "limits:\n  max_message_bytes: 2000000\n  max_outbound_bytes: 1048576\n") ==
              "t.yaml:4: limits.max_outbound_bytes: expected at least limits.max_message_bytes "
              "(2000000), "
              "got 1048576");
    }

    const settings s = parse_plain(
        "limits:\n  max_message_bytes: 4096\n  max_sdp_bytes: 4096\n"
        "  max_outbound_bytes: 4096\n  ping_interval: 999ms\n  idle_timeout: 1s\n");
    CHECK(s.limits.max_sdp_bytes == 4096);
    CHECK(s.limits.max_outbound_bytes == 4096);
    CHECK(s.limits.ping_interval == 999ms);
}

TEST_CASE("TURN URLs need a secret, relay_only needs TURN", "[config]") {
    CHECK(refusal_after_plain("ice:\n  turn:\n    urls: [\"turn:a\"]\n") ==
          "t.yaml:4: ice.turn.urls: needs ice.turn.secret or ice.turn.secret_file to mint TURN "
          "credentials");
    CHECK(refusal_after_plain("ice:\n  privacy: relay_only\n") ==
          "t.yaml:3: ice.privacy: relay_only needs ice.turn.urls: without a TURN relay no pair "
          "could connect");
}

TEST_CASE("relative paths resolve against the base directory", "[config]") {
    const std::string text =
        "listeners: [{address: 127.0.0.1, port: 1}]\n"
        "tls: {certificate: tls/cert.pem, private_key: ../keys/key.pem}\n"
        "web: {root: ./web}\n";
    const settings s = parse(text, "t.yaml", "/etc/onymous");
    CHECK(s.tls.certificate == "/etc/onymous/tls/cert.pem");
    CHECK(s.tls.private_key == "/etc/keys/key.pem");
    CHECK(s.web.root == "/etc/onymous/web");

    const settings as_given = parse(text, "t.yaml");
    CHECK(as_given.tls.certificate == "tls/cert.pem");
    CHECK(as_given.web.root == "./web");

    const settings absolute = parse(
        "listeners: [{address: 127.0.0.1, port: 1}]\n"
        "tls: {certificate: /c.pem, private_key: /k.pem}\n",
        "t.yaml", "/etc/onymous");
    CHECK(absolute.tls.certificate == "/c.pem");
    CHECK(absolute.web.root.empty());
}

TEST_CASE("the TURN secret file holds one or two secrets", "[config]") {
    const scratch_dir dir;
    const std::string prefix =
        "ice:\n  turn:\n    urls: [\"turns:turn.example.org\"]\n    secret_file: ";

    SECTION("one line, trailing newline trimmed, resolved against the base directory") {
        dir.write("secret", "s3cret\n");
        const settings s = parse_plain(prefix + "secret\n", dir.path());
        CHECK(s.ice.turn.secrets == std::vector<std::string>{"s3cret"});
        CHECK(s.ice.turn.secret_file == dir.path() + "/secret");
    }
    SECTION("two lines with CRLF and no final newline") {
        const std::string path = dir.write("two", "new\r\nold");
        CHECK(parse_plain(prefix + path + "\n").ice.turn.secrets ==
              std::vector<std::string>{"new", "old"});
    }
    SECTION("trailing empty lines are ignored") {
        const std::string path = dir.write("blank", "a\nb\n\n\n");
        CHECK(parse_plain(prefix + path + "\n").ice.turn.secrets ==
              std::vector<std::string>{"a", "b"});
    }
    SECTION("refusals never show the file's content") {
        const std::string missing = dir.path() + "/missing";
        CHECK(refusal_after_plain(prefix + missing + "\n") ==
              "t.yaml:5: ice.turn.secret_file: cannot read \"" + missing +
                  "\": No such file or directory");
        CHECK(refusal_after_plain(prefix + dir.path() + "\n") ==
              "t.yaml:5: ice.turn.secret_file: cannot read \"" + dir.path() + "\": Is a directory");
        const std::string empty = dir.write("empty", "\n");
        CHECK(refusal_after_plain(prefix + empty + "\n") ==
              "t.yaml:5: ice.turn.secret_file: expected one or two secrets, one per line in \"" +
                  empty + "\", got an empty file");
        const std::string three = dir.write("three", "a\nb\nc\n");
        CHECK(refusal_after_plain(prefix + three + "\n") ==
              "t.yaml:5: ice.turn.secret_file: expected at most two secrets, one per line in \"" +
                  three + "\", got 3");
        const std::string gap = dir.write("gap", "\nb\n");
        CHECK(refusal_after_plain(prefix + gap + "\n") ==
              "t.yaml:5: ice.turn.secret_file: expected a secret on line 1 in \"" + gap +
                  "\", got an empty line");
    }
    SECTION("not together with secret") {
        const std::string path = dir.write("secret", "s3cret\n");
        CHECK(refusal_after_plain(prefix + path + "\n    secret: other\n") ==
              "t.yaml:5: ice.turn.secret_file: cannot be set together with ice.turn.secret: use "
              "one of them");
    }
}

TEST_CASE("abuse keys that depend on each other", "[config]") {
    CHECK(refusal_after_plain("abuse:\n  pow_bits: 23\n") ==
          "t.yaml:3: abuse.pow_bits: expected at most abuse.pow_max_bits (22), got 23");
    CHECK(refusal_after_plain("abuse:\n  pow_max_bits: 8\n  pow_bits: 9\n") ==
          "t.yaml:4: abuse.pow_bits: expected at most abuse.pow_max_bits (8), got 9");
    CHECK(parse_plain("abuse: {pow_bits: 8, pow_max_bits: 8}\n").abuse.pow_bits == 8);
    // suspend_threshold left out: the line of shadow_threshold.
    CHECK(refusal_after_plain("abuse:\n  shadow_threshold: 11\n") ==
          "t.yaml:3: abuse.suspend_threshold: expected at least abuse.shadow_threshold (11), got "
          "10");
    CHECK(refusal_after_plain("abuse:\n  suspend_threshold: 2\n  shadow_threshold: 3\n") ==
          "t.yaml:3: abuse.suspend_threshold: expected at least abuse.shadow_threshold (3), got 2");
    const auto equal = parse_plain("abuse: {shadow_threshold: 5, suspend_threshold: 5}\n").abuse;
    CHECK(equal.shadow_threshold == 5);
    CHECK(equal.suspend_threshold == 5);
}
