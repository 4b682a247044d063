#pragma once
// The daemon's configuration: one plain struct per YAML section, holding the
// defaults of ../shared/CONFIG.md. Loading and validation live in load.hpp.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace onymous::config {

using duration = std::chrono::milliseconds;

struct listener {
    std::string address;     ///< IPv4 or IPv6 literal
    std::uint16_t port = 0;  ///< 0 = ephemeral (tests)
    bool tls = true;
    bool proxy_protocol = false;  ///< a PROXY protocol v2 header comes first
    /// Socket activation: serve the descriptor systemd passes under this
    /// FileDescriptorName= instead of binding address:port. Empty = bind.
    std::string fd_name;

    bool operator==(const listener&) const = default;
};

struct tls_settings {
    std::string certificate;          ///< PEM chain; resolved relative to the config file
    std::string private_key;          ///< PEM key; resolved relative to the config file
    std::string min_version = "1.2";  ///< "1.2" or "1.3"

    bool operator==(const tls_settings&) const = default;
};

struct admin_settings {
    std::string address = "127.0.0.1";
    std::uint16_t port = 9090;

    bool operator==(const admin_settings&) const = default;
};

struct limits_settings {
    std::uint64_t max_connections = 100000;
    std::uint64_t max_connections_per_address = 32;
    std::uint64_t new_connections_per_address_per_minute = 120;
    std::uint64_t max_message_bytes = 65536;
    std::uint64_t max_sdp_bytes = 32768;
    std::uint64_t messages_per_second = 50;
    std::uint64_t burst = 100;
    std::uint64_t joins_per_second = 2;
    std::uint64_t join_burst = 5;
    std::uint64_t max_errors = 20;
    std::uint64_t max_outbound_bytes = 1048576;
    /// Per session: the resume history above the client's last ack.
    std::uint64_t max_unacked_bytes = 65536;
    /// The whole process: queues, histories and read buffers together.
    std::uint64_t max_buffered_bytes = 536870912;
    std::uint64_t pair_max_offers = 20;
    std::uint64_t pair_max_candidates = 200;
    duration handshake_timeout = std::chrono::seconds(10);
    duration ping_interval = std::chrono::seconds(20);
    duration idle_timeout = std::chrono::seconds(60);
    duration resume_grace = std::chrono::seconds(10);
    /// Every close has this deadline; past it the socket is aborted.
    duration close_timeout = std::chrono::seconds(5);

    bool operator==(const limits_settings&) const = default;
};

struct matching_settings {
    std::uint64_t max_interests = 10;
    duration interest_timeout = std::chrono::seconds(5);
    duration rematch_cooldown = std::chrono::seconds(30);

    bool operator==(const matching_settings&) const = default;
};

struct turn_settings {
    std::vector<std::string> urls;
    std::vector<std::string> secrets;  ///< from `secret` (string or list of two) or `secret_file`
    std::string secret_file;
    duration ttl = std::chrono::minutes(10);

    bool operator==(const turn_settings&) const = default;
};

enum class ice_privacy { off, relay_only };

struct ice_settings {
    std::vector<std::string> stun;
    turn_settings turn;
    ice_privacy privacy = ice_privacy::off;
    std::vector<std::string> relay_networks;  ///< CIDRs

    bool operator==(const ice_settings&) const = default;
};

struct web_settings {
    std::string root;  ///< empty = no static files

    bool operator==(const web_settings&) const = default;
};

struct shutdown_settings {
    duration drain_timeout = std::chrono::seconds(8);

    bool operator==(const shutdown_settings&) const = default;
};

enum class log_level { error, warn, info, debug };

struct logging_settings {
    log_level level = log_level::error;

    bool operator==(const logging_settings&) const = default;
};

/// Proof of work, reports, the shadow pool and the skip throttle
/// (PROTOCOL.md, Abuse controls; server/abuse/). Read by the abuse leaves
/// directly, so that each default is written once, in its keys.cpp row.
struct abuse_settings {
    std::uint64_t pow_bits = 0;  ///< leading zero bits per nonce; 0 = no proof of work
    std::uint64_t pow_count = 4;
    std::uint64_t pow_max_bits = 22;
    std::uint64_t pow_load_threshold = 50;  ///< joins per second per node
    duration pow_ttl = std::chrono::minutes(2);
    duration report_window = std::chrono::hours(1);
    std::uint64_t shadow_threshold = 3;  ///< distinct reporters within report_window
    duration shadow_duration = std::chrono::minutes(30);
    std::uint64_t suspend_threshold = 10;
    std::uint64_t max_reports_per_hour = 20;  ///< per reporter
    std::uint64_t skips_per_minute = 30;      ///< 0 = off

    bool operator==(const abuse_settings&) const = default;
};

struct cluster_settings {
    std::string redis;
    std::string node_id;
    std::string key_prefix = "onymous";
    duration heartbeat_interval = std::chrono::seconds(1);
    duration node_timeout = std::chrono::seconds(5);

    bool operator==(const cluster_settings&) const = default;
};

struct settings {
    unsigned threads = 0;  ///< 0 = one per CPU in this process's affinity mask
    std::vector<listener> listeners;
    tls_settings tls;
    admin_settings admin;
    std::vector<std::string> allowed_origins;
    std::vector<std::string> trusted_proxies;  ///< CIDRs
    limits_settings limits;
    matching_settings matching;
    ice_settings ice;
    web_settings web;
    shutdown_settings shutdown;
    logging_settings logging;
    abuse_settings abuse;
    std::optional<cluster_settings> cluster;  ///< absent = single node

    /// True when some listener needs the TLS section.
    bool needs_tls() const;

    /// Field by field, like every section's ==: for tests and for telling
    /// whether a new configuration changes anything.
    bool operator==(const settings&) const = default;
};

}  // namespace onymous::config
