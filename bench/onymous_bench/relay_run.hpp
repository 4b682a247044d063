#pragma once
// One run of the relay scenario: sets the pairs up, runs the mix for the
// measured window, closes everything (scenario_relay.cpp).

#include "common.hpp"
#include "histogram.hpp"
#include "proc_stats.hpp"
#include "relay_pairs.hpp"

namespace onymous::bench {

class relay_run {
public:
    explicit relay_run(const options& opts);

    /// Runs the io_context until the window is over and everything is closed.
    void run();

    // For relay_side.
    boost::asio::io_context& io() { return ioc_; }
    tls_client_context* tls() { return tls_.get(); }
    const options& opts() const { return opts_; }
    error_tally& errors() { return errors_; }
    /// A connection got its greeting (or failed before it): the next may start.
    void greeted(bool relay_only_policy);
    void greeting_failed();
    /// A connection is matched (ok) or failed before it: once for each.
    void settled(bool ok);
    bool closing() const { return closing_; }
    bool measuring() const { return measuring_; }
    /// A mix message reached `side` (it is the receiver).
    void relayed(relay_side& side, relay_pair& pair, std::string_view text);
    /// A connection ended; an error unless the run is closing.
    void side_closed(int close_code);

    // Results.
    const latency_histogram& latency() const { return latency_; }
    /// [0]: same-node pairs, [1]: cross-node pairs (several nodes).
    const latency_histogram& latency(bool cross_node) const {
        return by_nodes_[cross_node].latency;
    }
    std::uint64_t messages(bool cross_node) const { return by_nodes_[cross_node].messages; }
    std::size_t pairs_running(bool cross_node) const { return by_nodes_[cross_node].pairs; }
    std::uint64_t messages() const { return messages_; }
    std::uint64_t bytes() const { return bytes_; }
    std::uint64_t backlog_skips() const { return backlog_skips_; }
    double window_seconds() const { return window_seconds_; }
    const cpu_meter& server_cpu() const { return cpu_; }
    const cpu_meter& redis_cpu() const { return redis_cpu_; }
    std::size_t pairs_running() const { return running_pairs_; }

private:
    std::string progress_line() const;
    void start_window();
    void send_next(relay_pair& pair);
    void pace(relay_pair& pair, steady::time_point first, steady::duration interval);
    void beat();
    void stop_window();
    void close_all();
    bool all_closed() const;

    const options& opts_;
    boost::asio::io_context ioc_{1};
    std::unique_ptr<tls_client_context> tls_;
    std::vector<std::unique_ptr<relay_pair>> pairs_;
    side_texts onymous_[2];
    mix_bodies bodies_;
    launch_window launcher_;
    boost::asio::steady_timer stop_timer_;
    boost::asio::steady_timer heartbeat_;
    progress_ticker ticker_;
    error_tally errors_;
    latency_histogram latency_;
    /// The same figures for same-node ([0]) and cross-node ([1]) pairs.
    struct node_class {
        latency_histogram latency;
        std::uint64_t messages = 0;
        std::size_t pairs = 0;
    };
    node_class by_nodes_[2];
    cpu_meter cpu_;
    cpu_meter redis_cpu_;
    steady::time_point started_;
    std::size_t settled_ = 0;  ///< connections that got matched or failed
    std::size_t running_pairs_ = 0;
    std::uint64_t messages_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t backlog_skips_ = 0;
    double window_seconds_ = 0;
    bool relay_only_ = false;
    bool measuring_ = false;
    bool closing_ = false;
};

}  // namespace onymous::bench
