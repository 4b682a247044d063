// /metrics in the Prometheus text format 0.0.4. Every label value here is
// one of a fixed set (a mode, a message type, an error or close code, a
// reason): never an address, a token or an interest.

#include "admin/admin_server.hpp"
#include "admin/process_stats.hpp"

#include <onymous/protocol/messages.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <iterator>
#include <utility>

namespace onymous::admin {

namespace {

using labelled = std::initializer_list<std::pair<std::string_view, std::uint64_t>>;

std::uint64_t read(const std::atomic<std::uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <class Value>
void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            Value value) {
    header(out, name, type, help);
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
}

/// One family with one label: `label="value"` per sample.
void family(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::string_view label, labelled samples) {
    header(out, name, type, help);
    for (const auto& [value, count] : samples)
        fmt::format_to(std::back_inserter(out), "{}{{{}=\"{}\"}} {}\n", name, label, value, count);
}

/// Cluster mode only (docs/operations.md, Cluster mode).
void render_cluster(std::string& out, const cluster::node_stats& c) {
    metric(out, "onymous_cluster_degraded", "gauge",
           "1 while this node cannot reach Redis, its subscription is down or Redis refuses writes "
           "(a replica): it pairs its own sessions only.",
           c.degraded.load(std::memory_order_relaxed) ? 1 : 0);
    metric(out, "onymous_cluster_nodes_alive", "gauge",
           "Other nodes heard within cluster.node_timeout.", read(c.nodes_alive));
    metric(out, "onymous_cluster_pairs_across_nodes", "gauge",
           "Pairs with one session here and the other on another node.",
           read(c.pairs_across_nodes));
    metric(out, "onymous_cluster_link_messages_total", "counter",
           "Messages of cross-node pairs published (first sends).", read(c.link_messages_total));
    metric(out, "onymous_cluster_link_retries_total", "counter",
           "Messages of cross-node pairs published again for want of an acknowledgement.",
           read(c.link_retries_total));
    family(out, "onymous_cluster_pairs_broken_total", "counter",
           "Cross-node pairs ended with partner_left without their partner's word, by reason.",
           "reason",
           {{"gap", read(c.pairs_broken_gap_total)},
            {"deadline", read(c.pairs_broken_deadline_total)},
            {"node_down", read(c.pairs_broken_node_down_total)}});
    family(out, "onymous_cluster_resumes_total", "counter",
           "Resumes whose token was not this node's, asked of the other nodes, by outcome: "
           "bridged (another node holds the session and this connection carries it) or "
           "not_found.",
           "outcome",
           {{"bridged", read(c.resumes_bridged_total)},
            {"not_found", read(c.resumes_not_found_total)}});
    metric(out, "onymous_cluster_bridges", "gauge",
           "Sessions held here whose connection is on another node, and connections here "
           "carrying a session another node holds.",
           read(c.bridges));
    family(out, "onymous_cluster_abuse_events_total", "counter",
           "Abuse events (a next, a report) shared with the other nodes: sent by this node, "
           "and received from others and counted here.",
           "direction",
           {{"sent", read(c.abuse_events_sent_total)},
            {"received", read(c.abuse_events_received_total)}});
    metric(out, "onymous_cluster_redis_failures_total", "counter",
           "Pool operations Redis did not answer (retried, or paired locally while degraded).",
           read(c.redis_failures_total));
}

template <std::size_t N>
void histogram(std::string& out, std::string_view name, std::string_view help,
               const metrics::histogram<N>& h) {
    header(out, name, "histogram", help);
    // Read the total first: the buckets then never exceed it by more than
    // what was observed in between, and +Inf is at least their sum.
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < N; ++i) {
        cumulative += h.in_bucket(i);
        fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name,
                       static_cast<double>(h.bound_us(i)) / 1e6, cumulative);
    }
    const auto count = std::max(cumulative, h.count());
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n",
                   name, count, name, static_cast<double>(h.sum_ns()) / 1e9, name, count);
}

void connection_metrics(std::string& out, const net::server_context& ctx) {
    const auto& s = ctx.stats;
    metric(out, "onymous_connections", "gauge", "Open TCP connections, in handshake or upgraded.",
           read(s.open_connections));
    metric(out, "onymous_websocket_connections", "gauge", "Open WebSocket connections.",
           read(s.websocket_connections));
    metric(out, "onymous_connection_places", "gauge",
           "What limits.max_connections bounds: open connections, and sessions in their resume "
           "grace, which keep their dropped connection's place.",
           read(s.places_taken));
    metric(out, "onymous_connections_accepted_total", "counter", "TCP connections accepted.",
           read(s.accepted_total));
    metric(out, "onymous_connections_refused_total", "counter",
           "Connections closed unanswered, far over limits.max_connections.",
           s.refused_total(net::refusal::hard_cap));
    header(out, "onymous_refused_connections_total", "counter",
           "Connections refused, by reason and stage: closed right after accept or after the "
           "PROXY header (before TLS, nothing sent), or answered after the request (403, 503).");
    for (std::size_t r = 0; r < net::refusal_names.size(); ++r)
        for (std::size_t st = 0; st < net::refusal_stage_names.size(); ++st)
            fmt::format_to(std::back_inserter(out),
                           "onymous_refused_connections_total{{reason=\"{}\",stage=\"{}\"}} {}\n",
                           net::refusal_names[r], net::refusal_stage_names[st],
                           read(s.refused[r][st]));
    family(out, "onymous_handshake_failures_total", "counter",
           "Opening handshakes that failed, by cause.", "cause",
           {{"tls", read(s.tls_handshake_failures_total)},
            {"http", read(s.http_failures_total)},
            {"websocket", read(s.websocket_handshake_failures_total)},
            {"timeout", read(s.handshake_timeouts_total)}});
    family(out, "onymous_http_refusals_total", "counter",
           "Requests refused, by status (404 includes static files not found).", "status",
           {{"403", read(s.http_403_total)},
            {"404", read(s.http_404_total)},
            {"503", read(s.http_503_total)}});
    family(out, "onymous_per_address_refusals_total", "counter",
           "Upgrades refused with 503 for a client address over its limit, by limit.", "limit",
           {{"open", s.refused_total(net::refusal::per_address_open)},
            {"rate", s.refused_total(net::refusal::per_address_rate)}});
    metric(out, "onymous_tracked_addresses", "gauge",
           "Client addresses (keyed hashes) held for the per-address limits.",
           ctx.addresses.tracked());
    metric(out, "onymous_proxy_header_failures_total", "counter",
           "Connections closed for a missing, malformed, truncated or late PROXY v2 header.",
           s.refused_total(net::refusal::proxy_header));
    metric(out, "onymous_close_deadline_aborts_total", "counter",
           "Closes that did not complete within limits.close_timeout and were aborted.",
           read(s.close_deadline_aborts_total));
    header(out, "onymous_closes_total", "counter",
           "WebSocket connections ended, by close code (1006: no close frame).");
    for (std::size_t i = 0; i <= net::close_codes.size(); ++i) {
        const auto code = i < net::close_codes.size() ? std::to_string(net::close_codes[i])
                                                      : std::string("other");
        fmt::format_to(std::back_inserter(out), "onymous_closes_total{{code=\"{}\"}} {}\n", code,
                       read(s.closes_total[i]));
    }
    std::uint64_t queued = 0;
    std::uint64_t peak = 0;
    for (const auto& w : ctx.workers) {
        queued += w->outbound_bytes();
        peak = std::max(peak, w->outbound_peak());
    }
    metric(out, "onymous_outbound_queued_bytes", "gauge",
           "Bytes waiting in the outbound queues of all connections.", queued);
    metric(out, "onymous_outbound_queue_peak_bytes", "gauge",
           "The most bytes any single connection's outbound queue has held since start "
           "(bounded by limits.max_outbound_bytes).",
           peak);
}

void budget_metrics(std::string& out, const net::server_context& ctx) {
    const auto& b = ctx.sessions.budget;
    metric(out, "onymous_buffered_bytes", "gauge",
           "Bytes held for clients: outbound queues, resume histories, read buffers "
           "(limits.max_buffered_bytes bounds them).",
           b.used());
    metric(out, "onymous_buffered_bytes_limit", "gauge", "limits.max_buffered_bytes.", b.limit());
    metric(out, "onymous_buffered_evictions_total", "counter",
           "Connections closed with 1008 because the process was over limits.max_buffered_bytes "
           "and they held the most.",
           b.evictions());
    metric(out, "onymous_overloaded", "gauge",
           "1 while above 90 % of limits.max_buffered_bytes: newcomers are refused.",
           b.nearly_full() ? 1 : 0);
    if (ctx.cluster) render_cluster(out, *ctx.cluster);
    std::uint64_t history = 0;
    for (const auto& w : ctx.workers) history += w->history_bytes();  // each a session::home
    metric(out, "onymous_heap_trims_total", "counter",
           "Times freed heap was given back to the system after a load spike (malloc_trim).",
           read(ctx.stats.heap_trims_total));
    metric(out, "onymous_resume_history_bytes", "gauge",
           "Bytes of sent messages kept for a resume: those the clients have not acknowledged.",
           history);
}

void session_metrics(std::string& out, const net::server_context& ctx) {
    const auto& sc = ctx.sessions.counters;
    const auto& m = ctx.matcher.stats();
    metric(out, "onymous_sessions", "gauge",
           "Live signaling sessions, in their resume grace or not.", read(sc.live));
    metric(out, "onymous_sessions_in_grace", "gauge",
           "Sessions whose connection dropped, waiting for a resume.", read(sc.in_grace));
    family(out, "onymous_waiting_sessions", "gauge", "Sessions queued for a partner, by mode.",
           "mode", {{"text", read(m.waiting_text)}, {"video", read(m.waiting_video)}});
    metric(out, "onymous_paired_sessions", "gauge", "Sessions currently paired.",
           read(m.paired_sessions));
    metric(out, "onymous_pairings_total", "counter", "Pairings made.", read(m.pairings_total));
    metric(out, "onymous_matcher_operations_total", "counter", "Operations applied by the matcher.",
           read(m.operations_total));
    family(out, "onymous_relayed_messages_total", "counter",
           "Messages relayed to a partner, by type.", "type",
           {{"offer", read(sc.relayed_offers_total)},
            {"answer", read(sc.relayed_answers_total)},
            {"candidate", read(sc.relayed_candidates_total)}});
    header(out, "onymous_errors_total", "counter", "Error messages sent to clients, by code.");
    for (std::size_t i = 0; i < protocol::error_code_count; ++i)
        fmt::format_to(std::back_inserter(out), "onymous_errors_total{{code=\"{}\"}} {}\n",
                       protocol::to_string(static_cast<protocol::error_code>(i)),
                       read(sc.errors_total[i]));
    histogram(out, "onymous_match_wait_seconds", "Time from join or next to matched.",
              sc.match_wait);
    histogram(out, "onymous_relay_latency_seconds",
              "Time from reading a relayed message off its sender to queueing it for its "
              "receiver, inside the daemon.",
              sc.relay_latency);
    family(out, "onymous_resumes_total", "counter", "Resume attempts, by outcome.", "outcome",
           {{"resumed", read(sc.resumed_total)}, {"failed", read(sc.resume_failed_total)}});
    metric(out, "onymous_resume_grace_expired_total", "counter",
           "Sessions that ended because their resume grace ran out.", read(sc.grace_expired_total));
    metric(out, "onymous_internal_errors_total", "counter",
           "Connections closed with 1011 after an internal error in their handling.",
           read(sc.internal_errors_total));
}

/// The abuse controls (PROTOCOL.md, Abuse controls): what they decided, in
/// counts only; nothing here names an address or a reporter.
void abuse_metrics(std::string& out, const net::server_context& ctx) {
    const auto& abuse = ctx.sessions.abuse;
    const auto& a = abuse.counters();
    header(out, "onymous_proofs_total", "counter",
           "Proofs of work checked on join and next: verified (redeemed), or refused by reason.");
    for (std::size_t i = 0; i < abuse::proof_result_count; ++i) {
        const auto r = static_cast<abuse::proof_result>(i);
        fmt::format_to(std::back_inserter(out), "onymous_proofs_total{{result=\"{}\"}} {}\n",
                       r == abuse::proof_result::ok ? std::string_view("verified") : to_string(r),
                       read(a.proofs_total[i]));
    }
    family(out, "onymous_reports_total", "counter", "Reports received, by what they did.",
           "outcome",
           {{"counted", read(a.reports_counted_total)},
            {"repeated", read(a.reports_repeated_total)},
            {"ignored_over_limit", read(a.reports_ignored_over_limit_total)},
            {"ignored_self", read(a.reports_ignored_self_total)},
            {"ignored_unknown", read(a.reports_ignored_unknown_total)}});
    const auto standings = abuse.standings(std::chrono::steady_clock::now());
    metric(out, "onymous_addresses_shadowed", "gauge",
           "Client addresses (hashed) whose sessions are matched only with one another.",
           standings.shadowed);
    metric(out, "onymous_addresses_suspended", "gauge",
           "Client addresses (hashed) whose join and next are refused after reports.",
           standings.suspended);
    metric(out, "onymous_skips_refused_total", "counter",
           "next refused by the skip throttle (abuse.skips_per_minute).",
           read(a.skips_refused_total));
}

void process_metrics(std::string& out, const net::server_context& ctx) {
    const auto& s = ctx.stats;
    header(out, "onymous_build_info", "gauge", "The running version; always 1.");
    fmt::format_to(std::back_inserter(out), "onymous_build_info{{version=\"{}\"}} 1\n",
                   ONYMOUS_VERSION);
    family(out, "onymous_reloads_total", "counter", "Configuration reloads (SIGHUP), by outcome.",
           "outcome", {{"ok", read(s.reloads_ok_total)}, {"failed", read(s.reloads_failed_total)}});
    metric(out, "onymous_config_last_reload_successful", "gauge",
           "1 when the last reload succeeded (or none was tried), else 0.",
           s.last_reload_ok.load(std::memory_order_relaxed) ? 1 : 0);
    const auto config = ctx.snapshot();
    if (config->tls) {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        metric(out, "onymous_certificate_expiry_seconds", "gauge",
               "Seconds until the served certificate expires (negative once it has).",
               config->certificate_not_after - now);
    }
    metric(out, "onymous_event_loops_stalled", "gauge",
           "Worker event loops that have not answered a heartbeat for 2 s.", read(s.stalled_loops));
    const auto p = read_process_stats();
    metric(out, "process_open_fds", "gauge", "Open file descriptors.", p.open_fds);
    metric(out, "process_max_fds", "gauge", "The open file descriptor limit.", p.max_fds);
    metric(out, "process_resident_memory_bytes", "gauge", "Resident memory in bytes.",
           p.resident_bytes);
    metric(out, "process_cpu_seconds_total", "counter", "User and system CPU time, in seconds.",
           p.cpu_seconds);
    metric(out, "process_start_time_seconds", "gauge", "Start time, in seconds since the epoch.",
           p.start_time_seconds);
}

}  // namespace

std::string render_metrics(const net::server_context& ctx) {
    std::string out;
    connection_metrics(out, ctx);
    budget_metrics(out, ctx);
    session_metrics(out, ctx);
    abuse_metrics(out, ctx);
    process_metrics(out, ctx);
    return out;
}

}  // namespace onymous::admin
