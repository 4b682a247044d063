// churn: the report of a churn run (churn_run.cpp).

#include "churn_run.hpp"
#include "report.hpp"
#include "scenarios.hpp"

namespace onymous::bench {

namespace {

/// What solving the server's challenges cost the generator: its own CPU,
/// which generator_cpu_percent includes, never the server's. pow_bits 0 and
/// no other pow_ key: the server sent no challenge (proof of work off).
void report_proofs(report& out, const churn_run& run, double seconds) {
    const pow_tally& total = run.pow_total();
    const pow_tally& window = run.pow_window();
    out.integer("pow_bits", "proof of work: highest bits asked", total.max_bits);
    if (total.proofs == 0) return;
    const auto proofs = static_cast<double>(total.proofs);
    out.integer("pow_count", "proof of work: nonces per proof", total.count);
    out.integer("proofs_solved", "proofs solved in the window",
                static_cast<std::int64_t>(window.proofs));
    out.number("pow_hashes_per_proof", "hashes per proof (mean, whole run)",
               static_cast<double>(total.hashes) / proofs, "", 1);
    out.number("pow_solve_us_per_proof", "generator CPU per proof, read and solved (mean)",
               total.cpu_seconds * 1e6 / proofs, "us", 1);
    out.number("pow_solve_cpu_percent", "generator CPU on proofs, in the window",
               seconds >= 0.1 ? 100.0 * window.cpu_seconds / seconds : 0.0, "%", 1);
}

}  // namespace

int run_churn(const options& opts) {
    churn_run run(opts);
    run.run();
    const double seconds = run.seconds();
    const auto& latency = run.join_to_matched();
    auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    const double pairings = static_cast<double>(run.matched_count()) / 2.0;

    report out("churn", opts.label);
    out.text("dialect", "dialect", dialect_name(opts));
    out.text("transport", "transport", transport_name(opts));
    out.integer("clients", "clients", static_cast<std::int64_t>(opts.clients));
    if (opts.nodes.size() > 1)
        out.integer("nodes", "nodes (clients round-robin)",
                    static_cast<std::int64_t>(opts.nodes.size()));
    out.integer("clients_connected", "clients connected",
                static_cast<std::int64_t>(run.greeted_count()));
    out.number("seconds", "measured", seconds, "s", 2);
    out.number("pairings", "pairings (matched messages / 2)", pairings, "", 1);
    out.number("pairings_per_s", "pairings/s", seconds > 0 ? pairings / seconds : 0.0, "/s");
    out.integer("negotiations", "negotiations completed",
                static_cast<std::int64_t>(run.negotiated_count()));
    if (opts.nodes.size() > 1) {
        // Told by the answer's a=x-bench-node line: which node the partner used.
        const auto same = run.negotiated_count(false);
        const auto cross = run.negotiated_count(true);
        out.integer("negotiations_same_node", "negotiations, same-node pairings",
                    static_cast<std::int64_t>(same));
        out.integer("negotiations_cross_node", "negotiations, cross-node pairings",
                    static_cast<std::int64_t>(cross));
        out.number("cross_node_percent", "cross-node pairings",
                   same + cross > 0
                       ? 100.0 * static_cast<double>(cross) / static_cast<double>(same + cross)
                       : 0.0,
                   "%", 1);
    }
    out.number("join_to_matched_p50_us", "join/next to matched p50", us(latency.quantile_ns(0.50)),
               "us");
    out.number("join_to_matched_p90_us", "join/next to matched p90", us(latency.quantile_ns(0.90)),
               "us");
    out.number("join_to_matched_p99_us", "join/next to matched p99", us(latency.quantile_ns(0.99)),
               "us");
    out.number("join_to_matched_max_us", "join/next to matched max", us(latency.max_ns()), "us");
    if (run.server_cpu().valid()) {
        const double cpu = run.server_cpu().seconds();
        out.number("server_cpu_us_per_pairing", "server CPU per pairing",
                   pairings > 0 ? cpu * 1e6 / pairings : 0.0, "us", 1);
        out.number("server_cpu_percent", "server CPU", seconds >= 0.1 ? 100.0 * cpu / seconds : 0.0,
                   "%", 1);
        if (opts.server_pids.size() > 1)
            out.integer("server_processes", "server processes (CPU summed)",
                        static_cast<std::int64_t>(opts.server_pids.size()));
    }
    if (run.redis_cpu().valid()) {
        const double cpu = run.redis_cpu().seconds();
        out.number("redis_cpu_us_per_pairing", "redis-server CPU per pairing",
                   pairings > 0 ? cpu * 1e6 / pairings : 0.0, "us", 1);
        out.number("redis_cpu_percent", "redis-server CPU",
                   seconds >= 0.1 ? 100.0 * cpu / seconds : 0.0, "%", 1);
    }
    report_proofs(out, run, seconds);
    out.generator_and_errors(run.server_cpu().own_seconds(), seconds, run.errors());
    out.print(opts.json);
    return run.errors().total() == 0 && run.matched_count() > 0 ? 0 : 1;
}

}  // namespace onymous::bench
