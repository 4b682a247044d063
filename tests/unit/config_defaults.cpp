// Defaults are those of ../shared/CONFIG.md, whether a key is left out or
// the struct is built directly; accepted values land in the right fields.
#include "config_test_support.hpp"

#include <catch2/catch.hpp>

using namespace onymous::config;
using namespace onymous::config::test;
using namespace std::chrono_literals;

namespace {

void check_contract_defaults(const settings& s) {
    CHECK(s.threads == 0);
    CHECK(s.tls.certificate.empty());
    CHECK(s.tls.private_key.empty());
    CHECK(s.tls.min_version == "1.2");
    CHECK(s.admin.address == "127.0.0.1");
    CHECK(s.admin.port == 9090);
    CHECK(s.allowed_origins.empty());
    CHECK(s.trusted_proxies.empty());

    const limits_settings& l = s.limits;
    CHECK(l.max_connections == 100000);
    CHECK(l.max_connections_per_address == 32);
    CHECK(l.new_connections_per_address_per_minute == 120);
    CHECK(l.max_message_bytes == 65536);
    CHECK(l.max_sdp_bytes == 32768);
    CHECK(l.messages_per_second == 50);
    CHECK(l.burst == 100);
    CHECK(l.joins_per_second == 2);
    CHECK(l.join_burst == 5);
    CHECK(l.max_errors == 20);
    CHECK(l.max_outbound_bytes == 1048576);
    CHECK(l.pair_max_offers == 20);
    CHECK(l.pair_max_candidates == 200);
    CHECK(l.handshake_timeout == 10s);
    CHECK(l.ping_interval == 20s);
    CHECK(l.idle_timeout == 60s);
    CHECK(l.resume_grace == 10s);
    CHECK(l.close_timeout == 5s);

    CHECK(s.matching.max_interests == 10);
    CHECK(s.matching.interest_timeout == 5s);
    CHECK(s.matching.rematch_cooldown == 30s);

    CHECK(s.ice.stun.empty());
    CHECK(s.ice.turn.urls.empty());
    CHECK(s.ice.turn.secrets.empty());
    CHECK(s.ice.turn.secret_file.empty());
    CHECK(s.ice.turn.ttl == 10min);
    CHECK(s.ice.privacy == ice_privacy::off);
    CHECK(s.ice.relay_networks.empty());
    CHECK(s.web.root.empty());
    CHECK(s.shutdown.drain_timeout == 8s);
    CHECK(s.logging.level == log_level::error);

    const abuse_settings& a = s.abuse;
    CHECK(a.pow_bits == 0);
    CHECK(a.pow_count == 4);
    CHECK(a.pow_max_bits == 22);
    CHECK(a.pow_load_threshold == 50);
    CHECK(a.pow_ttl == 2min);
    CHECK(a.report_window == 1h);
    CHECK(a.shadow_threshold == 3);
    CHECK(a.shadow_duration == 30min);
    CHECK(a.suspend_threshold == 10);
    CHECK(a.max_reports_per_hour == 20);
    CHECK(a.skips_per_minute == 30);
    CHECK_FALSE(s.cluster.has_value());
}

}  // namespace

TEST_CASE("the struct's defaults are CONFIG.md's", "[config]") {
    check_contract_defaults(settings{});
    const cluster_settings c;
    CHECK(c.redis.empty());
    CHECK(c.node_id.empty());
    CHECK(c.heartbeat_interval == 1s);
    CHECK(c.node_timeout == 5s);
    const listener item;
    CHECK(item.tls);
    CHECK_FALSE(item.proxy_protocol);
}

TEST_CASE("keys left out keep their defaults", "[config]") {
    const settings s = parse_plain("");
    check_contract_defaults(s);
    REQUIRE(s.listeners.size() == 1);
    CHECK(s.listeners[0].address == "127.0.0.1");
    CHECK(s.listeners[0].port == 0);
    CHECK_FALSE(s.listeners[0].tls);
    CHECK_FALSE(s.listeners[0].proxy_protocol);
    CHECK_FALSE(s.needs_tls());
}

TEST_CASE("empty sections and lists are the same as left out", "[config]") {
    check_contract_defaults(
        parse_plain("tls:\nadmin:\nlimits:\nmatching: {}\nice:\n  stun:\n  turn:\nweb:\n"
                    "shutdown:\nlogging:\nabuse:\nallowed_origins:\ntrusted_proxies: []\n"));
}

TEST_CASE("every key lands in its field", "[config]") {
    // Values differ from the defaults so that a crossed setter shows.
    const settings s = parse(R"(threads: 3
listeners:
  - {address: "::", port: 443}
  - {address: 127.0.0.1, port: 8080, tls: false, proxy_protocol: true}
tls: {certificate: /c.pem, private_key: /k.pem, min_version: "1.3"}
admin: {address: "::1", port: 0}
allowed_origins: ["https://chat.example.org", "http://localhost:8080", "https://[::1]:8443"]
trusted_proxies: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7/32]
limits:
  max_connections: 1
  max_connections_per_address: 0
  new_connections_per_address_per_minute: 0
  max_message_bytes: 16777216
  max_sdp_bytes: 1024
  messages_per_second: 7
  burst: 8
  joins_per_second: 9
  join_burst: 11
  max_errors: 12
  max_outbound_bytes: 1073741824
  pair_max_offers: 13
  pair_max_candidates: 14
  handshake_timeout: 250ms
  ping_interval: 2m
  idle_timeout: 1h
  resume_grace: 10ms
matching: {max_interests: 64, interest_timeout: 0s, rematch_cooldown: 0s}
ice:
  stun: ["stun:stun.example.org:3478", "stuns:stun.example.org"]
  turn:
    urls: ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"]
    secret: [new, old]
    ttl: 168h
  privacy: relay_only
  relay_networks: [198.51.100.0/24]
web: {root: /srv/web}
shutdown: {drain_timeout: 0s}
logging: {level: debug}
abuse:
  pow_bits: 32
  pow_count: 64
  pow_max_bits: 32
  pow_load_threshold: 1000000
  pow_ttl: 24h
  report_window: 1s
  shadow_threshold: 1
  shadow_duration: 168h
  suspend_threshold: 1000
  max_reports_per_hour: 1
  skips_per_minute: 0
cluster:
  redis: "unix:/run/redis.sock"
  node_id: a
  heartbeat_interval: 10ms
  node_timeout: 10m
)",
                             "t.yaml");
    CHECK(s.threads == 3);
    REQUIRE(s.listeners.size() == 2);
    CHECK(s.listeners[0].address == "::");
    CHECK(s.listeners[0].port == 443);
    CHECK(s.listeners[0].tls);
    CHECK_FALSE(s.listeners[0].proxy_protocol);
    CHECK(s.listeners[1].address == "127.0.0.1");
    CHECK(s.listeners[1].port == 8080);
    CHECK_FALSE(s.listeners[1].tls);
    CHECK(s.listeners[1].proxy_protocol);
    CHECK(s.needs_tls());
    CHECK(s.tls.certificate == "/c.pem");
    CHECK(s.tls.private_key == "/k.pem");
    CHECK(s.tls.min_version == "1.3");
    CHECK(s.admin.address == "::1");
    CHECK(s.admin.port == 0);
    CHECK(s.allowed_origins == std::vector<std::string>{"https://chat.example.org",
                                                        "http://localhost:8080",
                                                        "https://[::1]:8443"});
    CHECK(s.trusted_proxies ==
          std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"});

    const limits_settings& l = s.limits;
    CHECK(l.max_connections == 1);
    CHECK(l.max_connections_per_address == 0);
    CHECK(l.new_connections_per_address_per_minute == 0);
    CHECK(l.max_message_bytes == 16777216);
    CHECK(l.max_sdp_bytes == 1024);
    CHECK(l.messages_per_second == 7);
    CHECK(l.burst == 8);
    CHECK(l.joins_per_second == 9);
    CHECK(l.join_burst == 11);
    CHECK(l.max_errors == 12);
    CHECK(l.max_outbound_bytes == 1073741824);
    CHECK(l.pair_max_offers == 13);
    CHECK(l.pair_max_candidates == 14);
    CHECK(l.handshake_timeout == 250ms);
    CHECK(l.ping_interval == 2min);
    CHECK(l.idle_timeout == 1h);
    CHECK(l.resume_grace == 10ms);

    CHECK(s.matching.max_interests == 64);
    CHECK(s.matching.interest_timeout == 0ms);
    CHECK(s.matching.rematch_cooldown == 0ms);

    CHECK(s.ice.stun ==
          std::vector<std::string>{"stun:stun.example.org:3478", "stuns:stun.example.org"});
    CHECK(s.ice.turn.urls == std::vector<std::string>{"turn:turn.example.org:3478?transport=udp",
                                                      "turns:turn.example.org:5349?transport=tcp"});
    CHECK(s.ice.turn.secrets == std::vector<std::string>{"new", "old"});
    CHECK(s.ice.turn.ttl == 168h);
    CHECK(s.ice.privacy == ice_privacy::relay_only);
    CHECK(s.ice.relay_networks == std::vector<std::string>{"198.51.100.0/24"});
    CHECK(s.web.root == "/srv/web");
    CHECK(s.shutdown.drain_timeout == 0ms);
    CHECK(s.logging.level == log_level::debug);

    const abuse_settings& a = s.abuse;
    CHECK(a.pow_bits == 32);
    CHECK(a.pow_count == 64);
    CHECK(a.pow_max_bits == 32);
    CHECK(a.pow_load_threshold == 1000000);
    CHECK(a.pow_ttl == 24h);
    CHECK(a.report_window == 1s);
    CHECK(a.shadow_threshold == 1);
    CHECK(a.shadow_duration == 168h);
    CHECK(a.suspend_threshold == 1000);
    CHECK(a.max_reports_per_hour == 1);
    CHECK(a.skips_per_minute == 0);

    REQUIRE(s.cluster.has_value());
    CHECK(s.cluster->redis == "unix:/run/redis.sock");
    CHECK(s.cluster->node_id == "a");
    CHECK(s.cluster->heartbeat_interval == 10ms);
    CHECK(s.cluster->node_timeout == 10min);
}

TEST_CASE("every choice maps to its value", "[config]") {
    CHECK(parse_plain("tls: {min_version: 1.2}\n").tls.min_version == "1.2");
    CHECK(parse_plain("tls: {min_version: 1.3}\n").tls.min_version == "1.3");
    CHECK(parse_plain("logging: {level: error}\n").logging.level == log_level::error);
    CHECK(parse_plain("logging: {level: warn}\n").logging.level == log_level::warn);
    CHECK(parse_plain("logging: {level: info}\n").logging.level == log_level::info);
    CHECK(parse_plain("logging: {level: debug}\n").logging.level == log_level::debug);
    CHECK(parse_plain("ice: {privacy: off}\n").ice.privacy == ice_privacy::off);
    CHECK(parse_plain("ice: {privacy: \"off\"}\n").ice.privacy == ice_privacy::off);
}

TEST_CASE("a present cluster section has the defaults; without a Redis it is refused", "[config]") {
    for (const char* text : {"cluster: {redis: \"redis://127.0.0.1:6379\"}\n",
                             "cluster:\n  redis: redis://127.0.0.1:6379\n"}) {
        INFO(text);
        const settings s = parse_plain(text);
        REQUIRE(s.cluster.has_value());
        CHECK(s.cluster->node_id.empty());
        CHECK(s.cluster->key_prefix == "onymous");
        CHECK(s.cluster->heartbeat_interval == 1s);
        CHECK(s.cluster->node_timeout == 5s);
    }
    CHECK(parse_plain("cluster: {redis: \"redis://:pw@127.0.0.1:6379\"}\n").cluster->redis ==
          "redis://:pw@127.0.0.1:6379");
    // Present turns clustering on, and clustering needs Redis.
    for (const char* text : {"cluster:\n", "cluster: {}\n", "cluster: {redis: \"\"}\n"}) {
        INFO(text);
        CHECK_THROWS_WITH(parse_plain(text),
                          Catch::Contains("cluster.redis: required in cluster mode"));
    }
}

TEST_CASE("threads 0 stays 0 for the daemon to resolve", "[config]") {
    CHECK(parse_plain("threads: 0\n").threads == 0);
    CHECK(parse_plain("threads: 1024\n").threads == 1024);
}

TEST_CASE("needs_tls is true when some listener uses TLS", "[config]") {
    settings s;
    CHECK_FALSE(s.needs_tls());
    s.listeners.push_back({"127.0.0.1", 1, false, false, ""});
    CHECK_FALSE(s.needs_tls());
    s.listeners.push_back({"127.0.0.1", 2, true, false, ""});
    CHECK(s.needs_tls());
}

TEST_CASE("an empty string and a secret list of one are accepted", "[config]") {
    CHECK(parse_plain("ice: {turn: {secret: \"\"}}\n").ice.turn.secrets.empty());
    CHECK(parse_plain("ice: {turn: {secret: s3cret}}\n").ice.turn.secrets ==
          std::vector<std::string>{"s3cret"});
    CHECK(parse_plain("ice: {turn: {secret: [only]}}\n").ice.turn.secrets ==
          std::vector<std::string>{"only"});
    CHECK(parse_plain("ice: {turn: {secret: []}}\n").ice.turn.secrets.empty());
}
