#pragma once
// One run of the churn scenario (churn_run.cpp): C clients that join, get
// matched, negotiate (offer, answer, one candidate each way) and `next`
// again and again. The offerer ends a pairing with `next` once the
// answerer's candidate arrives; the answerer then gets partner_left and
// sends `next` itself. The window opens when all clients have their hello,
// and every client joins at once.

#include "acker.hpp"
#include "common.hpp"
#include "histogram.hpp"
#include "pow_solver.hpp"
#include "proc_stats.hpp"

#include <array>
#include <memory>
#include <optional>
#include <random>
#include <vector>

namespace onymous::bench {

class churn_run;

class churn_client final : public ws_connection::listener {
public:
    churn_client(churn_run& run, std::size_t index);
    void open();
    void join();
    /// The run's 100 ms tick: an ack due by time, a pause that is over.
    void tick(steady::time_point now);
    ws_connection& connection() { return connection_; }
    bool greeted() const { return state_ != state::connecting && state_ != state::broken; }
    bool done() const { return state_ == state::broken || ended_; }

    void on_open(const error_code& ec, const char* step) override;
    void on_message(std::string_view text) override;
    void on_closed(const error_code& ec, int close_code) override;

private:
    enum class state {
        connecting,
        greeted,
        waiting,
        awaiting_offer,           // answerer
        awaiting_answer,          // offerer
        awaiting_candidate,       // answerer, after its answer
        awaiting_last_candidate,  // offerer, after its candidate
        awaiting_partner_left,    // answerer, after its candidate
        chatting,                 // offerer, negotiated, until next_at_
        stopped,
        broken
    };
    /// Sends `join` or `next` (a static text), with the proof when one is due.
    void ask(std::string_view text);
    /// A challenge arrived (hello, waiting, or the successor of an expired
    /// one): solve it now, while the pairing goes on, so that the next
    /// `join`/`next` leaves at once, as a client that solves ahead does.
    void take_challenge(std::string_view message);
    /// Busy for `microseconds` of this thread (--waiting-spin-us).
    static void spin(double microseconds);
    void fail(const std::string& kind);
    /// The offerer's pairing is negotiated: next now, or after a chat.
    void negotiated();
    void send_ack(const std::string& ack);

    churn_run& run_;
    std::size_t index_;
    state state_ = state::connecting;
    bool ended_ = false;
    steady::time_point asked_;
    /// While chatting (--next-after): when to press next.
    std::optional<steady::time_point> next_at_;
    acker acker_;
    /// The proof for the challenge in force, as `,"proof":[…]`; empty when
    /// proof of work is off, or the challenge was used and no new one came.
    std::string proof_;
    std::size_t node_;       ///< the node this client connects to
    int partner_node_ = -1;  ///< the partner's, from its offer or answer
    ws_connection connection_;
};

class churn_run {
public:
    explicit churn_run(const options& opts);
    /// Runs the io_context until the window is over and everything is closed.
    void run();

    // For churn_client.
    boost::asio::io_context& io() { return ioc_; }
    tls_client_context* tls() { return tls_.get(); }
    const options& opts() const { return opts_; }
    error_tally& errors() { return errors_; }
    pow_solver& solver() { return solver_; }
    bool running() const { return running_; }
    /// The window is over: challenges are no longer worth solving.
    bool closing() const { return closing_; }
    /// The text of `step` sent by `side` (0: offerer) of a client on `node`:
    /// with several nodes, the SDPs name the sender's node.
    const std::string& text(std::size_t node, std::size_t side, std::size_t step) const {
        return texts_[texts_.size() == 1 ? 0 : node][side].step[step];
    }
    /// A client got its hello (ok) or failed before it: once for each.
    void attempted(bool ok, bool relay_policy);
    void matched(steady::duration waited);
    /// An offerer's pairing is negotiated; its partner's node is known from
    /// the answer when the run has several nodes (-1: not known).
    void negotiated(std::size_t node, int partner_node) {
        if (!running_) return;
        ++negotiated_;
        if (opts_.nodes.size() > 1 && partner_node >= 0)
            ++negotiated_by_nodes_[static_cast<std::size_t>(partner_node) != node];
    }
    /// How long a negotiated pair chats before next (--next-after).
    steady::duration chat_time();
    /// A connection ended.
    void ended() {
        if (closing_ && all_done()) ioc_.stop();
    }

    // Results.
    double seconds() const { return seconds_; }
    std::uint64_t matched_count() const { return matched_; }
    std::uint64_t negotiated_count() const { return negotiated_; }
    /// Negotiations of same-node ([0]) and cross-node ([1]) pairings.
    std::uint64_t negotiated_count(bool cross_node) const {
        return negotiated_by_nodes_[cross_node];
    }
    std::size_t greeted_count() const { return greeted_; }
    const latency_histogram& join_to_matched() const { return join_to_matched_; }
    const cpu_meter& server_cpu() const { return cpu_; }
    const cpu_meter& redis_cpu() const { return redis_cpu_; }
    /// Proof-of-work solving: over the whole run, and within the window.
    const pow_tally& pow_total() const { return solver_.tally(); }
    const pow_tally& pow_window() const { return pow_window_; }

private:
    std::string progress_line() const;
    void start_window();
    void stop_window();
    void tick();
    bool all_done() const;

    const options& opts_;
    boost::asio::io_context ioc_{1};
    std::unique_ptr<tls_client_context> tls_;
    std::vector<std::unique_ptr<churn_client>> clients_;
    launch_window launcher_;
    boost::asio::steady_timer timer_;
    boost::asio::steady_timer tick_timer_;
    std::mt19937_64 random_{20261207};
    progress_ticker ticker_;
    error_tally errors_;
    latency_histogram join_to_matched_;
    cpu_meter cpu_;
    cpu_meter redis_cpu_;
    pow_solver solver_;
    /// The solver's tally when the window opened, then its share of the window.
    pow_tally pow_window_;
    /// [node][side]: one pair of texts per node (one in all with one node).
    std::vector<std::array<side_texts, 2>> texts_;
    steady::time_point started_;
    double seconds_ = 0;
    std::size_t attempted_ = 0;
    std::size_t greeted_ = 0;
    std::uint64_t matched_ = 0;
    std::uint64_t negotiated_ = 0;
    std::uint64_t negotiated_by_nodes_[2] = {0, 0};
    bool relay_only_ = false;
    bool running_ = false;
    bool closing_ = false;
};

}  // namespace onymous::bench
