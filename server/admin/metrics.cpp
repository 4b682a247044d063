#include "admin/admin_server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace onymous::admin {

namespace {

void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value, std::string_view labels = {}) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{}{} {}\n", name, help,
                   name, type, name, labels, value);
}

std::uint64_t read(const std::atomic<std::uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
}

}  // namespace

std::string render_metrics(const net::server_context& ctx) {
    const auto& s = ctx.stats;
    const auto& m = ctx.matcher.stats();
    std::string out;
    metric(out, "onymous_connections", "gauge", "Open TCP connections, in handshake or upgraded.",
           read(s.open_connections));
    const auto& sc = ctx.sessions.counters;
    metric(out, "onymous_websocket_connections", "gauge", "Open WebSocket connections.",
           read(s.websocket_connections));
    metric(out, "onymous_sessions", "gauge",
           "Live signaling sessions, in their resume grace or not.", read(sc.live));
    metric(out, "onymous_sessions_in_grace", "gauge",
           "Sessions whose connection dropped, waiting for a resume.", read(sc.in_grace));
    metric(out, "onymous_resumes_total", "counter", "Sessions taken back by a resume.",
           read(sc.resumed_total));
    metric(out, "onymous_resume_failures_total", "counter", "Resumes answered resume_failed.",
           read(sc.resume_failed_total));
    metric(out, "onymous_resume_grace_expired_total", "counter",
           "Sessions that ended because their resume grace ran out.", read(sc.grace_expired_total));
    metric(out, "onymous_internal_errors_total", "counter",
           "Connections closed with 1011 after an internal error in their handling.",
           read(sc.internal_errors_total));
    metric(out, "onymous_close_deadline_aborts_total", "counter",
           "Closes that did not complete within limits.close_timeout and were aborted.",
           read(s.close_deadline_aborts_total));
    metric(out, "onymous_connections_accepted_total", "counter", "TCP connections accepted.",
           read(s.accepted_total));
    metric(out, "onymous_connections_refused_total", "counter",
           "Connections closed unanswered, far over limits.max_connections.",
           read(s.refused_at_accept_total));
    metric(out, "onymous_handshake_failures_total", "counter",
           "TLS or WebSocket handshakes that failed.", read(s.handshake_failures_total));
    out +=
        "# HELP onymous_http_refusals_total Upgrade requests refused, by status.\n"
        "# TYPE onymous_http_refusals_total counter\n";
    fmt::format_to(std::back_inserter(out),
                   "onymous_http_refusals_total{{status=\"403\"}} {}\n"
                   "onymous_http_refusals_total{{status=\"404\"}} {}\n"
                   "onymous_http_refusals_total{{status=\"503\"}} {}\n",
                   read(s.http_403_total), read(s.http_404_total), read(s.http_503_total));
    out +=
        "# HELP onymous_waiting_sessions Sessions queued for a partner, by mode.\n"
        "# TYPE onymous_waiting_sessions gauge\n";
    fmt::format_to(std::back_inserter(out),
                   "onymous_waiting_sessions{{mode=\"text\"}} {}\n"
                   "onymous_waiting_sessions{{mode=\"video\"}} {}\n",
                   read(m.waiting_text), read(m.waiting_video));
    out +=
        "# HELP onymous_per_address_refusals_total Upgrades refused with 503 for a client "
        "address over its limit, by limit.\n"
        "# TYPE onymous_per_address_refusals_total counter\n";
    fmt::format_to(std::back_inserter(out),
                   "onymous_per_address_refusals_total{{limit=\"open\"}} {}\n"
                   "onymous_per_address_refusals_total{{limit=\"rate\"}} {}\n",
                   read(s.refused_per_address_open_total), read(s.refused_per_address_rate_total));
    metric(out, "onymous_tracked_addresses", "gauge",
           "Client addresses (keyed hashes) held for the per-address limits.",
           ctx.addresses.tracked());
    metric(out, "onymous_proxy_header_failures_total", "counter",
           "Connections closed for a missing, malformed, truncated or late PROXY v2 header.",
           read(s.proxy_header_failures_total));
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
    metric(out, "onymous_paired_sessions", "gauge", "Sessions currently paired.",
           read(m.paired_sessions));
    metric(out, "onymous_pairings_total", "counter", "Pairings made.", read(m.pairings_total));
    metric(out, "onymous_matcher_operations_total", "counter", "Operations applied by the matcher.",
           read(m.operations_total));
    return out;
}

}  // namespace onymous::admin
