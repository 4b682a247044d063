// The checks that span several keys, run once every key is read.
#include "config/keys.hpp"
#include "config/load_steps.hpp"
#include "config/values.hpp"

#include <onymous/config/load.hpp>

#include "redis/endpoint.hpp"

#include <algorithm>

namespace onymous::config::detail {

namespace {

// Refuses `key` unless `ok`; blames the line of `key`, else of `other`.
void require(const load_context& ctx, bool ok, std::string_view key, std::string_view other,
             std::string_view relation, const std::string& other_value, const std::string& value) {
    if (ok) {
        return;
    }
    const int line = ctx.line_of(key, ctx.line_of(other, ctx.root_line));
    fail(ctx, line, key,
         "expected " + std::string(relation) + " " + std::string(other) + " (" + other_value +
             "), got " + value);
}

void check_listeners(const load_context& ctx, const settings& out) {
    if (!ctx.has("listeners")) {
        fail(ctx, ctx.root_line, "listeners",
             "missing, expected " + describe_expected(kind::listener_list, 0, 0, {}));
    }
    for (std::size_t j = 0; j < out.listeners.size(); ++j) {
        for (std::size_t i = 0; i < j; ++i) {
            const listener& a = out.listeners[i];
            const listener& b = out.listeners[j];
            if (!b.fd_name.empty() && a.fd_name == b.fd_name) {
                const std::string key = indexed_key("listeners", j);
                fail(ctx, ctx.line_of(key + ".fd_name", ctx.root_line), key + ".fd_name",
                     "same fd_name as " + indexed_key("listeners", i));
            }
            if (!a.fd_name.empty() || !b.fd_name.empty()) continue;  // bound by systemd
            if (b.port != 0 && a.port == b.port && a.address == b.address) {
                const std::string key = indexed_key("listeners", j);
                fail(ctx, ctx.line_of(key + ".port", ctx.root_line), key,
                     "same address and port as " + indexed_key("listeners", i));
            }
        }
    }
}

void check_tls(const load_context& ctx, const settings& out) {
    for (std::size_t i = 0; i < out.listeners.size(); ++i) {
        if (!out.listeners[i].tls) {
            continue;
        }
        // The TLS section serves every TLS listener: blame the first one.
        const std::string owner = indexed_key("listeners", i);
        const int owner_line =
            ctx.line_of(owner + ".tls", ctx.line_of(owner + ".address", ctx.root_line));
        for (const auto& [key, value] : {std::pair{"tls.certificate", &out.tls.certificate},
                                         std::pair{"tls.private_key", &out.tls.private_key}}) {
            if (value->empty()) {
                fail(ctx, ctx.line_of(key, owner_line), key,
                     "required by the TLS listener " + owner);
            }
        }
        return;
    }
}

/// 1 to 64 of [A-Za-z0-9_-]: what cluster/wire.hpp (is_wire_id) lets on the
/// wire between nodes and into Redis keys. Checked here, where config knows
/// nothing of the cluster's code.
bool is_plain_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

/// What a node puts on the wire and in Redis keys must be a plain id, and it
/// needs a Redis to talk to.
void check_cluster(const load_context& ctx, const cluster_settings& c) {
    require(ctx, c.heartbeat_interval < c.node_timeout, "cluster.heartbeat_interval",
            "cluster.node_timeout", "less than", format_duration(c.node_timeout),
            format_duration(c.heartbeat_interval));
    const auto line = [&](std::string_view key) {
        return ctx.line_of(key, ctx.line_of("cluster", ctx.root_line));
    };
    if (!redis::parse_url(c.redis))
        fail(ctx, line("cluster.redis"), "cluster.redis",
             c.redis.empty()
                 ? "required in cluster mode: redis://[:password@]host:port or unix:/path"
                 : "expected redis://[:password@]host:port or unix:/path");
    // The node adds "-" and 8 hex digits per start (cluster/node/node.cpp).
    if (!c.node_id.empty() && (c.node_id.size() > 55 || !is_plain_id(c.node_id)))
        fail(ctx, line("cluster.node_id"), "cluster.node_id",
             "expected 1 to 55 letters, digits, '-' or '_', got " + quote(c.node_id));
    if (!is_plain_id(c.key_prefix))
        fail(ctx, line("cluster.key_prefix"), "cluster.key_prefix",
             "expected 1 to 64 letters, digits, '-' or '_', got " + quote(c.key_prefix));
}

void check_limits(const load_context& ctx, settings& out) {
    limits_settings& l = out.limits;
    // A size left out follows max_message_bytes, so that lowering (raising)
    // that one alone is enough; sizes written out must agree with it.
    if (!ctx.has("limits.max_sdp_bytes")) {
        l.max_sdp_bytes = std::min(l.max_sdp_bytes, l.max_message_bytes);
    }
    if (!ctx.has("limits.max_outbound_bytes")) {
        l.max_outbound_bytes = std::max(l.max_outbound_bytes, l.max_message_bytes);
    }
    require(ctx, l.max_sdp_bytes <= l.max_message_bytes, "limits.max_sdp_bytes",
            "limits.max_message_bytes", "at most", std::to_string(l.max_message_bytes),
            std::to_string(l.max_sdp_bytes));
    require(ctx, l.max_outbound_bytes >= l.max_message_bytes, "limits.max_outbound_bytes",
            "limits.max_message_bytes", "at least", std::to_string(l.max_message_bytes),
            std::to_string(l.max_outbound_bytes));
    require(ctx, l.ping_interval < l.idle_timeout, "limits.ping_interval", "limits.idle_timeout",
            "less than", format_duration(l.idle_timeout), format_duration(l.ping_interval));
    if (out.cluster) check_cluster(ctx, *out.cluster);
}

/// Difficulty starts at pow_bits and rises up to pow_max_bits; suspension
/// is the stronger measure, so it cannot come before the shadow pool.
void check_abuse(const load_context& ctx, const abuse_settings& a) {
    require(ctx, a.pow_bits <= a.pow_max_bits, "abuse.pow_bits", "abuse.pow_max_bits", "at most",
            std::to_string(a.pow_max_bits), std::to_string(a.pow_bits));
    require(ctx, a.suspend_threshold >= a.shadow_threshold, "abuse.suspend_threshold",
            "abuse.shadow_threshold", "at least", std::to_string(a.shadow_threshold),
            std::to_string(a.suspend_threshold));
}

// One secret per line, at most two (the current one and the next, for rotation).
std::vector<std::string> read_secret_file(const load_context& ctx, const std::string& path) {
    constexpr std::string_view key = "ice.turn.secret_file";
    const int line = ctx.line_of(key, ctx.root_line);
    std::string text;
    if (const std::error_code error = read_text_file(path, text)) {
        fail(ctx, line, key, "cannot read " + quote(path) + ": " + error.message());
    }
    std::vector<std::string> secrets;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        std::string secret = text.substr(start, end - start);
        if (secret.ends_with('\r')) {
            secret.pop_back();
        }
        secrets.push_back(std::move(secret));
        start = end + 1;
    }
    while (!secrets.empty() && secrets.back().empty()) {
        secrets.pop_back();
    }
    const std::string where = " in " + quote(path);
    if (secrets.empty()) {
        fail(ctx, line, key,
             "expected one or two secrets, one per line" + where + ", got an empty file");
    }
    if (secrets.size() > 2) {
        fail(ctx, line, key,
             "expected at most two secrets, one per line" + where + ", got " +
                 std::to_string(secrets.size()));
    }
    if (secrets.front().empty()) {
        fail(ctx, line, key, "expected a secret on line 1" + where + ", got an empty line");
    }
    return secrets;
}

void check_ice(const load_context& ctx, settings& out) {
    turn_settings& turn = out.ice.turn;
    if (!turn.secret_file.empty()) {
        if (!turn.secrets.empty()) {
            fail(ctx, ctx.line_of("ice.turn.secret_file", ctx.root_line), "ice.turn.secret_file",
                 "cannot be set together with ice.turn.secret: use one of them");
        }
        turn.secret_file = resolve_path(ctx.base_dir, turn.secret_file);
        turn.secrets = read_secret_file(ctx, turn.secret_file);
    }
    if (!turn.urls.empty() && turn.secrets.empty()) {
        fail(ctx, ctx.line_of("ice.turn.urls", ctx.root_line), "ice.turn.urls",
             "needs ice.turn.secret or ice.turn.secret_file to mint TURN credentials");
    }
    if (out.ice.privacy == ice_privacy::relay_only && turn.urls.empty()) {
        fail(ctx, ctx.line_of("ice.privacy", ctx.root_line), "ice.privacy",
             "relay_only needs ice.turn.urls: without a TURN relay no pair could connect");
    }
}

}  // namespace

void finish(const load_context& ctx, settings& out) {
    check_listeners(ctx, out);
    check_tls(ctx, out);
    check_limits(ctx, out);
    check_ice(ctx, out);
    check_abuse(ctx, out.abuse);
    out.tls.certificate = resolve_path(ctx.base_dir, out.tls.certificate);
    out.tls.private_key = resolve_path(ctx.base_dir, out.tls.private_key);
    out.web.root = resolve_path(ctx.base_dir, out.web.root);
}

}  // namespace onymous::config::detail
