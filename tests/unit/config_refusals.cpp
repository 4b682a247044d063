// Refusals of single keys and of the file's shape, with their exact messages.
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

using namespace onymous::config;
using namespace onymous::config::test;

TEST_CASE("the file must be one mapping", "[config]") {
    CHECK(refusal("") == "t.yaml:1: expected a mapping of settings, got an empty file");
    CHECK(refusal("# nothing\n\n") ==
          "t.yaml:1: expected a mapping of settings, got an empty file");
    CHECK(refusal("- a\n- b\n") ==
          "t.yaml:1: expected a mapping of settings at the top level, got a list");
    CHECK(refusal("\nhello\n") ==
          "t.yaml:2: expected a mapping of settings at the top level, got \"hello\"");
    // The line of the second document's start, its "---".
    CHECK(refusal(std::string(plain) + "---\nthreads: 2\n") ==
          "t.yaml:2: expected one YAML document, got a second one");
    // yaml-cpp 0.7's LoadAll yields empty documents forever on this one.
    CHECK(refusal(",") == "t.yaml:1: expected one YAML document, got a second one");
}

TEST_CASE("YAML syntax errors name the file and line", "[config]") {
    CHECK(refusal("threads: 1\nlimits: [1, 2\nlogging: {}\n") ==
          "t.yaml:3: YAML syntax error: end of sequence flow not found");
    CHECK(refusal("threads: 1\n  burst: 2\n") == "t.yaml:2: YAML syntax error: illegal map value");
}

TEST_CASE("unknown keys are refused, with a near miss suggested", "[config]") {
    CHECK(refusal_after_plain("thread: 4\n") ==
          "t.yaml:2: thread: unknown key (did you mean threads?)");
    CHECK(refusal_after_plain("limits:\n  max_conections: 5\n") ==
          "t.yaml:3: limits.max_conections: unknown key (did you mean limits.max_connections?)");
    CHECK(refusal_after_plain("limits:\n  max_interests: 5\n") ==
          "t.yaml:3: limits.max_interests: unknown key (did you mean matching.max_interests?)");
    CHECK(refusal_after_plain("limit:\n  burst: 5\n") ==
          "t.yaml:2: limit: unknown key (did you mean limits?)");
    CHECK(refusal_after_plain("limits:\n  colour: blue\n") ==
          "t.yaml:3: limits.colour: unknown key");
    CHECK(refusal_after_plain("ice:\n  turn:\n    secrets: [a]\n") ==
          "t.yaml:4: ice.turn.secrets: unknown key (did you mean ice.turn.secret?)");
    CHECK(refusal("listeners:\n  - {address: 127.0.0.1, port: 1, tsl: false}\n") ==
          "t.yaml:2: listeners[0].tsl: unknown key (did you mean listeners[0].tls?)");
    CHECK(
        refusal_after_plain("limits.burst: 5\n") ==
        "t.yaml:2: limits.burst: unknown key (nest sections as mappings rather than dotted names)");
    CHECK(refusal_after_plain("? [a, b]\n: 1\n") == "t.yaml:2: expected a key name, got a list");
}

TEST_CASE("a key given twice is refused", "[config]") {
    CHECK(refusal_after_plain("threads: 1\nlogging: {}\nthreads: 2\n") ==
          "t.yaml:4: threads: duplicate key, first set on line 2");
    CHECK(refusal_after_plain("limits:\n  burst: 1\n  burst: 2\n") ==
          "t.yaml:4: limits.burst: duplicate key, first set on line 3");
    CHECK(refusal("listeners:\n  - address: 127.0.0.1\n    port: 1\n    port: 2\n") ==
          "t.yaml:4: listeners[0].port: duplicate key, first set on line 3");
    CHECK(refusal_after_plain("cluster: {}\ncluster: {}\n") ==
          "t.yaml:3: cluster: duplicate key, first set on line 2");
}

TEST_CASE("a section must be a mapping", "[config]") {
    CHECK(refusal_after_plain("limits: 5\n") == "t.yaml:2: limits: expected a mapping, got \"5\"");
    CHECK(refusal_after_plain("ice:\n  turn: [a]\n") ==
          "t.yaml:3: ice.turn: expected a mapping, got a list");
}

TEST_CASE("integers must be decimal and within bounds", "[config]") {
    const std::string expected =
        "t.yaml:3: limits.max_message_bytes: expected an integer from 1024 to 16777216, got ";
    for (const char* value : {"lots", "-1", "1.5", "1e6", "0x400", "64k", "1023", "16777217",
                              "99999999999999999999999", "\"\"", "1 024"}) {
        INFO(value);
        const std::string text = std::string("limits:\n  max_message_bytes: ") + value + "\n";
        const std::string shown =
            value[0] == '"' ? std::string("\"\"") : "\"" + std::string(value) + "\"";
        CHECK(refusal_after_plain(text) == expected + shown);
    }
    CHECK(refusal_after_plain("limits:\n  max_message_bytes: [1]\n") == expected + "a list");
    CHECK(refusal_after_plain("limits:\n  max_message_bytes:\n") == expected + "nothing");
    CHECK(refusal_after_plain("threads: 1025\n") ==
          "t.yaml:2: threads: expected an integer from 0 to 1024, got \"1025\"");
    CHECK(refusal_after_plain("limits: {max_connections: 0}\n") ==
          "t.yaml:2: limits.max_connections: expected an integer from 1 to 10000000, got \"0\"");
    CHECK(refusal_after_plain("matching: {max_interests: 65}\n") ==
          "t.yaml:2: matching.max_interests: expected an integer from 0 to 64, got \"65\"");
    CHECK(refusal_after_plain("limits: {joins_per_second: 1000001}\n") ==
          "t.yaml:2: limits.joins_per_second: expected an integer from 1 to 1000000, got "
          "\"1000001\"");
    CHECK(refusal_after_plain("admin: {port: 65536}\n") ==
          "t.yaml:2: admin.port: expected an integer from 0 to 65535, got \"65536\"");
}

TEST_CASE("abuse keys are within their bounds", "[config]") {
    const auto refused = [](std::string_view key, std::string_view value) {
        return refusal_after_plain("abuse:\n  " + std::string(key) + ": " + std::string(value) +
                                   "\n");
    };
    CHECK(refused("pow_bits", "33") ==
          "t.yaml:3: abuse.pow_bits: expected an integer from 0 to 32, got \"33\"");
    CHECK(refused("pow_max_bits", "33") ==
          "t.yaml:3: abuse.pow_max_bits: expected an integer from 1 to 32, got \"33\"");
    CHECK(refused("pow_max_bits", "0") ==
          "t.yaml:3: abuse.pow_max_bits: expected an integer from 1 to 32, got \"0\"");
    CHECK(refused("pow_count", "0") ==
          "t.yaml:3: abuse.pow_count: expected an integer from 1 to 64, got \"0\"");
    CHECK(refused("pow_count", "65") ==
          "t.yaml:3: abuse.pow_count: expected an integer from 1 to 64, got \"65\"");
    CHECK(refused("pow_load_threshold", "0") ==
          "t.yaml:3: abuse.pow_load_threshold: expected an integer from 1 to 1000000, got \"0\"");
    CHECK(refused("shadow_threshold", "0") ==
          "t.yaml:3: abuse.shadow_threshold: expected an integer from 1 to 1000, got \"0\"");
    CHECK(refused("suspend_threshold", "1001") ==
          "t.yaml:3: abuse.suspend_threshold: expected an integer from 1 to 1000, got \"1001\"");
    CHECK(refused("max_reports_per_hour", "0") ==
          "t.yaml:3: abuse.max_reports_per_hour: expected an integer from 1 to 1000, got \"0\"");
    CHECK(refused("skips_per_minute", "-1") ==
          "t.yaml:3: abuse.skips_per_minute: expected an integer from 0 to 1000000, got \"-1\"");
    CHECK(refused("pow_ttl", "0s") ==
          "t.yaml:3: abuse.pow_ttl: expected a duration from 1s to 24h, got \"0s\"");
    CHECK(refused("report_window", "0s") ==
          "t.yaml:3: abuse.report_window: expected a duration from 1s to 168h, got \"0s\"");
    CHECK(refused("shadow_duration", "169h") ==
          "t.yaml:3: abuse.shadow_duration: expected a duration from 1s to 168h, got \"169h\"");
}

TEST_CASE("listener ports are 0 to 65535", "[config]") {
    CHECK(refusal("listeners:\n  - {address: 127.0.0.1, port: 1}\n  - {address: 127.0.0.1, port: "
                  "70000}\n") ==
          "t.yaml:3: listeners[1].port: expected an integer from 0 to 65535, got \"70000\"");
    CHECK(refusal("listeners:\n  - {address: 127.0.0.1, port: -1}\n") ==
          "t.yaml:2: listeners[0].port: expected an integer from 0 to 65535, got \"-1\"");
    CHECK(parse("listeners:\n  - {address: 127.0.0.1, port: 65535, tls: false}\n", "t.yaml")
              .listeners[0]
              .port == 65535);
}

TEST_CASE("booleans are true or false", "[config]") {
    CHECK(refusal("listeners:\n  - {address: 127.0.0.1, port: 1, tls: yes}\n") ==
          "t.yaml:2: listeners[0].tls: expected true or false, got \"yes\"");
    CHECK(
        refusal("listeners:\n  - {address: 127.0.0.1, port: 1, tls: false, proxy_protocol: 1}\n") ==
        "t.yaml:2: listeners[0].proxy_protocol: expected true or false, got \"1\"");
}

TEST_CASE("durations need a unit and must be within bounds", "[config]") {
    CHECK(refusal_after_plain("limits:\n  ping_interval: 10\n") ==
          "t.yaml:3: limits.ping_interval: expected a duration with a unit, e.g. 10s, got \"10\"");
    CHECK(
        refusal_after_plain("limits:\n  ping_interval: 1.5s\n") ==
        "t.yaml:3: limits.ping_interval: expected a duration with a unit, e.g. 10s, got \"1.5s\"");
    CHECK(
        refusal_after_plain("limits:\n  ping_interval: 10 s\n") ==
        "t.yaml:3: limits.ping_interval: expected a duration with a unit, e.g. 10s, got \"10 s\"");
    CHECK(refusal_after_plain("limits:\n  ping_interval: [10s]\n") ==
          "t.yaml:3: limits.ping_interval: expected a duration with a unit, e.g. 10s, got a list");
    CHECK(refusal_after_plain("limits:\n  ping_interval: 2h\n") ==
          "t.yaml:3: limits.ping_interval: expected a duration from 10ms to 1h, got \"2h\"");
    CHECK(refusal_after_plain("limits:\n  ping_interval: 0s\n") ==
          "t.yaml:3: limits.ping_interval: expected a duration from 10ms to 1h, got \"0s\"");
    CHECK(refusal_after_plain("limits:\n  handshake_timeout: 9ms\n") ==
          "t.yaml:3: limits.handshake_timeout: expected a duration from 10ms to 5m, got \"9ms\"");
    CHECK(refusal_after_plain("matching:\n  interest_timeout: 601s\n") ==
          "t.yaml:3: matching.interest_timeout: expected a duration from 0s to 10m, got \"601s\"");
    CHECK(refusal_after_plain("ice: {turn: {ttl: 999ms}}\n") ==
          "t.yaml:2: ice.turn.ttl: expected a duration from 1s to 168h, got \"999ms\"");
    CHECK(refusal_after_plain("limits:\n  idle_timeout: 99999999999999999999h\n") ==
          "t.yaml:3: limits.idle_timeout: expected a duration with a unit, e.g. 10s, got "
          "\"99999999999999999999h\"");
}

TEST_CASE("addresses must be IP literals", "[config]") {
    for (const char* value :
         {"localhost", "[::1]", "fe80::1%eth0", "127.0.0.256", "127.1", "1.2.3.4 "}) {
        INFO(value);
        CHECK(refusal_after_plain(std::string("admin:\n  address: \"") + value + "\"\n") ==
              "t.yaml:3: admin.address: expected an IPv4 or IPv6 address such as 127.0.0.1 or ::1, "
              "got \"" +
                  std::string(value) + "\"");
    }
    CHECK(refusal_after_plain("admin:\n  address:\n") ==
          "t.yaml:3: admin.address: expected an IPv4 or IPv6 address such as 127.0.0.1 or ::1, got "
          "nothing");
    CHECK(refusal("listeners:\n  - {address: example.org, port: 443, tls: false}\n") ==
          "t.yaml:2: listeners[0].address: expected an IPv4 or IPv6 address such as 127.0.0.1 or "
          "::1, got "
          "\"example.org\"");
    CHECK(parse_plain("admin: {address: \"::ffff:127.0.0.1\"}\n").admin.address ==
          "::ffff:127.0.0.1");
    // A NUL (YAML's "\0") would end the literal early for inet_pton.
    CHECK_THAT(refusal_after_plain("admin:\n  address: \"127.0.0.1\\0junk\"\n"),
               Catch::StartsWith("t.yaml:3: admin.address: expected an IPv4 or IPv6 address"));
    CHECK_THAT(refusal_after_plain("trusted_proxies: [\"10.0.0.0\\0junk/8\"]\n"),
               Catch::StartsWith("t.yaml:2: trusted_proxies[0]: expected a CIDR"));
}

TEST_CASE("CIDRs must parse and have no bits past the prefix", "[config]") {
    const std::string malformed = "expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32, got ";
    CHECK(refusal_after_plain("trusted_proxies: [10.0.0.0/8, 10.0.0.0]\n") ==
          "t.yaml:2: trusted_proxies[1]: " + malformed + "\"10.0.0.0\"");
    CHECK(refusal_after_plain("trusted_proxies:\n  - 10.0.0.0/33\n") ==
          "t.yaml:3: trusted_proxies[0]: " + malformed + "\"10.0.0.0/33\"");
    CHECK(refusal_after_plain("trusted_proxies:\n  - \"::/129\"\n") ==
          "t.yaml:3: trusted_proxies[0]: " + malformed + "\"::/129\"");
    CHECK(refusal_after_plain("trusted_proxies:\n  - 10.0.0.0/\n") ==
          "t.yaml:3: trusted_proxies[0]: " + malformed + "\"10.0.0.0/\"");
    CHECK(refusal_after_plain("trusted_proxies:\n  - 10.0.0.0/+8\n") ==
          "t.yaml:3: trusted_proxies[0]: " + malformed + "\"10.0.0.0/+8\"");
    CHECK(refusal_after_plain("trusted_proxies:\n  - host.example/8\n") ==
          "t.yaml:3: trusted_proxies[0]: " + malformed + "\"host.example/8\"");
    CHECK(refusal_after_plain("trusted_proxies:\n  - [10.0.0.0/8]\n") ==
          "t.yaml:3: trusted_proxies[0]: " + malformed + "a list");
    CHECK(refusal_after_plain("ice:\n  relay_networks: [\"2001:db8::1/32\"]\n") ==
          "t.yaml:3: ice.relay_networks[0]: expected a CIDR with no address bits set past its "
          "prefix length, "
          "e.g. 10.0.0.0/8, got \"2001:db8::1/32\"");
    CHECK(refusal_after_plain("trusted_proxies: 10.0.0.0/8\n") ==
          "t.yaml:2: trusted_proxies: expected a list of CIDRs such as 10.0.0.0/8 or "
          "2001:db8::/32, got "
          "\"10.0.0.0/8\"");
    CHECK(parse_plain("trusted_proxies: [0.0.0.0/0, \"::/0\", 10.1.0.0/16, \"2001:db8::/127\"]\n")
              .trusted_proxies.size() == 4);
}

TEST_CASE("choices are spelled exactly", "[config]") {
    CHECK(refusal_after_plain("tls:\n  min_version: \"1.1\"\n") ==
          "t.yaml:3: tls.min_version: expected \"1.2\" or \"1.3\", got \"1.1\"");
    CHECK(refusal_after_plain("tls:\n  min_version: 1.20\n") ==
          "t.yaml:3: tls.min_version: expected \"1.2\" or \"1.3\", got \"1.20\"");
    CHECK(refusal_after_plain("logging:\n  level: verbose\n") ==
          "t.yaml:3: logging.level: expected \"error\", \"warn\", \"info\" or \"debug\", got "
          "\"verbose\"");
    CHECK(refusal_after_plain("logging:\n  level: INFO\n") ==
          "t.yaml:3: logging.level: expected \"error\", \"warn\", \"info\" or \"debug\", got "
          "\"INFO\"");
    CHECK(refusal_after_plain("ice:\n  privacy: on\n") ==
          "t.yaml:3: ice.privacy: expected \"off\" or \"relay_only\", got \"on\"");
}

TEST_CASE("origins and ICE URLs are checked", "[config]") {
    const std::string origin =
        "expected an origin such as https://chat.example.org (http or https, lower case, "
        "no path), got ";
    for (const char* value :
         {"https://chat.example.org/", "https://Chat.example.org", "chat.example.org", "https://",
          "https://a:0", "https://a:65536", "https://a/b", "null", "*", "https://[::1",
          "https://[::1]x", "ftp://a"}) {
        INFO(value);
        CHECK(refusal_after_plain(std::string("allowed_origins: [\"") + value + "\"]\n") ==
              "t.yaml:2: allowed_origins[0]: " + origin + "\"" + value + "\"");
    }
    CHECK(refusal_after_plain("ice:\n  stun: [\"stun:a\", \"turn:b\"]\n") ==
          "t.yaml:3: ice.stun[1]: expected a URL starting with stun: or stuns:, got \"turn:b\"");
    CHECK(refusal_after_plain("ice:\n  stun: [\"stun:\"]\n") ==
          "t.yaml:3: ice.stun[0]: expected a URL starting with stun: or stuns:, got \"stun:\"");
    CHECK(refusal_after_plain("ice:\n  stun: [\"stun:a b\"]\n") ==
          "t.yaml:3: ice.stun[0]: expected a URL starting with stun: or stuns:, got \"stun:a b\"");
    CHECK(
        refusal_after_plain("ice:\n  turn:\n    urls:\n      - \"stun:a\"\n") ==
        "t.yaml:5: ice.turn.urls[0]: expected a URL starting with turn: or turns:, got \"stun:a\"");
    CHECK(refusal_after_plain("cluster:\n  redis: \"redis:/:pw@127.0.0.1:6379\"\n") ==
          "t.yaml:3: cluster.redis: expected a URL starting with redis:// or unix:/, got something "
          "else (not shown)");
}

TEST_CASE("TURN secrets are a string or a list of at most two", "[config]") {
    CHECK(refusal_after_plain("ice:\n  turn:\n    secret: [a, b, c]\n") ==
          "t.yaml:4: ice.turn.secret: expected a string or a list of at most 2 strings, got a list "
          "of 3");
    CHECK(refusal_after_plain("ice:\n  turn:\n    secret: {a: b}\n") ==
          "t.yaml:4: ice.turn.secret: expected a string or a list of at most 2 strings, got a "
          "mapping");
    CHECK(refusal_after_plain("ice:\n  turn:\n    secret: [a, \"\"]\n") ==
          "t.yaml:4: ice.turn.secret[1]: expected a non-empty string, got \"\"");
}

TEST_CASE("messages quote values on one line and cut them short", "[config]") {
    CHECK(refusal_after_plain("threads: \"a\\\"b\\\\c\\nd\\te\"\n") ==
          "t.yaml:2: threads: expected an integer from 0 to 1024, got \"a\\\"b\\\\c\\x0ad\\x09e\"");
    CHECK(refusal_after_plain("threads: " + std::string(70, 'x') + "\n") ==
          "t.yaml:2: threads: expected an integer from 0 to 1024, got \"" + std::string(64, 'x') +
              "...\"");
    // 63 ASCII bytes and a two-byte character: the cut does not split it.
    CHECK(refusal_after_plain("threads: " + std::string(63, 'x') + "\xc3\xa9zzz\n") ==
          "t.yaml:2: threads: expected an integer from 0 to 1024, got \"" + std::string(63, 'x') +
              "...\"");
}
