// relay: the report of a relay run (relay_run.cpp), then the TCP ping-pong
// floor (tcp_floor.cpp), measured after the run so that neither disturbs
// the other.

#include "relay_run.hpp"
#include "report.hpp"
#include "scenarios.hpp"
#include "tcp_floor.hpp"

namespace onymous::bench {

int run_relay(const options& opts) {
    relay_run run(opts);
    run.run();
    const double seconds = run.window_seconds();
    const auto& latency = run.latency();
    const double messages = static_cast<double>(run.messages());
    auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };

    report out("relay", opts.label);
    out.text("dialect", "dialect", dialect_name(opts));
    out.text("transport", "transport", transport_name(opts));
    out.integer("pairs", "pairs", static_cast<std::int64_t>(opts.pairs));
    out.integer("pairs_running", "pairs running", static_cast<std::int64_t>(run.pairs_running()));
    out.text("loop", "loop", opts.rate > 0 ? "open" : "closed");
    if (opts.rate > 0) out.number("rate_target_per_s", "target rate", opts.rate, "/s", 0);
    out.number("seconds", "measured", seconds, "s", 2);
    out.integer("messages", "relayed messages", static_cast<std::int64_t>(run.messages()));
    out.number("messages_per_s", "relayed messages/s", seconds > 0 ? messages / seconds : 0.0,
               "/s");
    out.number("mean_message_bytes", "mean relayed message",
               messages > 0 ? static_cast<double>(run.bytes()) / messages : 0.0, "B", 0);
    out.number("latency_p50_us", "one-way latency p50", us(latency.quantile_ns(0.50)), "us");
    out.number("latency_p90_us", "one-way latency p90", us(latency.quantile_ns(0.90)), "us");
    out.number("latency_p99_us", "one-way latency p99", us(latency.quantile_ns(0.99)), "us");
    out.number("latency_p999_us", "one-way latency p99.9", us(latency.quantile_ns(0.999)), "us");
    out.number("latency_max_us", "one-way latency max", us(latency.max_ns()), "us");
    out.number("latency_mean_us", "one-way latency mean", latency.mean_ns() / 1000.0, "us");
    if (opts.nodes.size() > 1) {
        // Each side's node is known (relay_nodes), so the pairs split exactly.
        out.integer("nodes", "nodes", static_cast<std::int64_t>(opts.nodes.size()));
        out.text("pair_nodes", "pair layout (--pair-nodes)", layout_name(opts.pair_nodes));
        for (const bool cross : {false, true}) {
            const std::string key = cross ? "cross_node" : "same_node";
            const std::string name = cross ? "cross-node" : "same-node";
            const auto& by = run.latency(cross);
            out.integer("pairs_" + key, name + " pairs running",
                        static_cast<std::int64_t>(run.pairs_running(cross)));
            out.integer("messages_" + key, name + " relayed messages",
                        static_cast<std::int64_t>(run.messages(cross)));
            if (run.messages(cross) == 0) continue;
            out.number("latency_" + key + "_p50_us", name + " one-way latency p50",
                       us(by.quantile_ns(0.50)), "us");
            out.number("latency_" + key + "_p90_us", name + " one-way latency p90",
                       us(by.quantile_ns(0.90)), "us");
            out.number("latency_" + key + "_p99_us", name + " one-way latency p99",
                       us(by.quantile_ns(0.99)), "us");
            out.number("latency_" + key + "_mean_us", name + " one-way latency mean",
                       by.mean_ns() / 1000.0, "us");
        }
    }
    if (opts.rate > 0)
        out.integer("backlog_skips", "sends skipped (backlog)",
                    static_cast<std::int64_t>(run.backlog_skips()));
    if (run.server_cpu().valid()) {
        const double cpu = run.server_cpu().seconds();
        out.number("server_cpu_us_per_message", "server CPU per relayed message",
                   messages > 0 ? cpu * 1e6 / messages : 0.0, "us", 2);
        out.number("server_cpu_percent", "server CPU", seconds >= 0.1 ? 100.0 * cpu / seconds : 0.0,
                   "%", 1);
        if (opts.server_pids.size() > 1)
            out.integer("server_processes", "server processes (CPU summed)",
                        static_cast<std::int64_t>(opts.server_pids.size()));
    }
    if (run.redis_cpu().valid()) {
        const double cpu = run.redis_cpu().seconds();
        out.number("redis_cpu_us_per_message", "redis-server CPU per relayed message",
                   messages > 0 ? cpu * 1e6 / messages : 0.0, "us", 2);
        out.number("redis_cpu_percent", "redis-server CPU",
                   seconds >= 0.1 ? 100.0 * cpu / seconds : 0.0, "%", 1);
    }
    if (opts.floors) {
        const tcp_floor floor =
            measure_tcp_floor(opts.floor_bytes, opts.floor_rounds, opts.floor_cpu);
        if (!floor.error.empty()) run.errors().add("tcp floor: " + floor.error);
        out.integer("tcp_floor_bytes", "TCP ping-pong message",
                    static_cast<std::int64_t>(opts.floor_bytes), "B");
        out.number("tcp_floor_one_way_p50_us", "TCP ping-pong one-way (RTT/2) p50",
                   us(floor.one_way.quantile_ns(0.50)), "us", 2);
        out.number("tcp_floor_one_way_p99_us", "TCP ping-pong one-way (RTT/2) p99",
                   us(floor.one_way.quantile_ns(0.99)), "us", 2);
    }
    out.generator_and_errors(run.server_cpu().own_seconds(), seconds, run.errors());
    out.print(opts.json);
    return run.errors().total() == 0 && run.messages() > 0 ? 0 : 1;
}

}  // namespace onymous::bench
