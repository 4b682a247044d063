#include "churn_run.hpp"

#include "report.hpp"

#include <nlohmann/json.hpp>

namespace onymous::bench {

churn_run::churn_run(const options& opts)
    : opts_(opts),
      launcher_(opts.clients, opts.concurrency == 0 ? 64 : opts.concurrency,
                [this](std::size_t i) { clients_[i]->open(); }),
      timer_(ioc_),
      tick_timer_(ioc_),
      ticker_(ioc_, "churn", !opts.quiet, [this] { return progress_line(); }),
      cpu_(opts.server_pids),
      redis_cpu_(opts.redis_pid) {
    if (opts.tls) tls_ = std::make_unique<tls_client_context>();
    for (std::size_t i = 0; i < opts.clients; ++i)
        clients_.push_back(std::make_unique<churn_client>(*this, i));
}

void churn_run::run() {
    raise_descriptor_limit();
    ticker_.start();
    launcher_.fill();
    ioc_.run();
}

void churn_run::attempted(bool ok, bool relay_policy) {
    relay_only_ = relay_only_ || relay_policy;
    if (ok) ++greeted_;
    launcher_.finished();
    if (++attempted_ == clients_.size()) start_window();
}

void churn_run::matched(steady::duration waited) {
    if (!running_) return;
    ++matched_;
    join_to_matched_.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()));
}

std::string churn_run::progress_line() const {
    if (!running_)
        return std::to_string(greeted_) + " of " + std::to_string(clients_.size()) + " connected";
    const double elapsed = seconds_between(started_, steady::now());
    return with_separators(elapsed, 1) + " s: " + with_separators(matched_ / 2.0, 0) +
           " pairings, " + with_separators(elapsed > 0 ? matched_ / 2.0 / elapsed : 0.0, 0) + "/s";
}

void churn_run::start_window() {
    // With several nodes, each node's SDPs name it (a=x-bench-node), so that
    // the offerer learns from the answer whether its pairing crossed nodes.
    const std::size_t nodes = opts_.nodes.size();
    for (std::size_t node = 0; node < nodes; ++node) {
        const mix_bodies bodies =
            make_mix_bodies(opts_.sdp_bytes, relay_only_, nodes == 1 ? -1 : static_cast<int>(node));
        texts_.push_back({onymous_texts(bodies, true), onymous_texts(bodies, false)});
    }
    running_ = true;
    pow_window_ = solver_.tally();
    cpu_.start();
    redis_cpu_.start();
    started_ = steady::now();
    for (auto& client : clients_)
        if (client->greeted()) client->join();
    timer_.expires_at(started_ + std::chrono::duration_cast<steady::duration>(
                                     std::chrono::duration<double>(opts_.seconds)));
    timer_.async_wait([this](const error_code& ec) {
        if (!ec) stop_window();
    });
    tick();
}

void churn_run::tick() {
    const auto now = steady::now();
    for (auto& client : clients_) client->tick(now);
    if (!running_) return;
    tick_timer_.expires_after(std::chrono::milliseconds(100));
    tick_timer_.async_wait([this](const error_code& ec) {
        if (!ec) tick();
    });
}

steady::duration churn_run::chat_time() {
    std::uniform_real_distribution<double> seconds(opts_.next_after / 2, opts_.next_after * 1.5);
    return std::chrono::duration_cast<steady::duration>(
        std::chrono::duration<double>(seconds(random_)));
}

void churn_run::stop_window() {
    running_ = false;
    tick_timer_.cancel();
    cpu_.stop();
    redis_cpu_.stop();
    const pow_tally before = pow_window_;
    pow_window_ = solver_.tally();
    pow_window_.proofs -= before.proofs;
    pow_window_.hashes -= before.hashes;
    pow_window_.cpu_seconds -= before.cpu_seconds;
    seconds_ = seconds_between(started_, steady::now());
    ticker_.stop();
    closing_ = true;
    for (auto& client : clients_) client->connection().close();
    timer_.expires_after(std::chrono::seconds(5));
    timer_.async_wait([this](const error_code& ec) {
        if (!ec) ioc_.stop();
    });
    if (all_done()) ioc_.stop();
}

bool churn_run::all_done() const {
    for (const auto& client : clients_)
        if (!client->done()) return false;
    return true;
}

churn_client::churn_client(churn_run& run, std::size_t index)
    : run_(run),
      index_(index),
      node_(node_for(run.opts(), index)),
      connection_(run.io(), run.tls(), *this) {}

void churn_client::open() {
    const options& opts = run_.opts();
    connection_.open(target_of(opts, node_), opts.path, source_for(opts, index_));
}

void churn_client::join() { ask(R"({"type":"join","mode":"video"})"); }

void churn_client::ask(std::string_view text) {
    state_ = state::waiting;
    asked_ = steady::now();
    if (proof_.empty()) return connection_.send(text);
    // A proof is redeemed by the accepted join or next; the waiting that
    // answers brings the next challenge.
    connection_.send_copy(with_proof(text, proof_));
    proof_.clear();
}

void churn_client::take_challenge(std::string_view message) {
    if (run_.closing()) return;
    if (auto proof = run_.solver().answer(message)) proof_ = std::move(*proof);
}

void churn_client::tick(steady::time_point now) {
    if (state_ == state::broken || state_ == state::connecting) return;
    if (auto ack = acker_.due(now); !ack.empty()) send_ack(ack);
    if (state_ == state::chatting && next_at_ && now >= *next_at_) {
        next_at_.reset();
        if (!run_.running()) {
            state_ = state::stopped;
            return;
        }
        ask(R"({"type":"next"})");
    }
}

void churn_client::spin(double microseconds) {
    if (microseconds <= 0) return;
    const auto until = steady::now() + std::chrono::duration_cast<steady::duration>(
                                           std::chrono::duration<double, std::micro>(microseconds));
    while (steady::now() < until) {
    }
}

void churn_client::send_ack(const std::string& ack) { connection_.send_copy(ack); }

void churn_client::negotiated() {
    run_.negotiated(node_, partner_node_);
    if (!run_.running()) {
        state_ = state::stopped;
        return;
    }
    if (run_.opts().next_after <= 0) return ask(R"({"type":"next"})");
    state_ = state::chatting;
    next_at_ = steady::now() + run_.chat_time();
}

void churn_client::fail(const std::string& kind) {
    const bool before_greeting = state_ == state::connecting;
    state_ = state::broken;
    run_.errors().add(kind);
    connection_.abort();
    if (before_greeting) run_.attempted(false, false);
}

void churn_client::on_open(const error_code& ec, const char* step) {
    if (ec) fail(std::string(step) + ": " + ec.message());
}

void churn_client::on_message(std::string_view text) {
    const std::string_view type = message_type(text);
    if (state_ == state::connecting) {
        if (type != "hello") return fail("first message was not hello but " + std::string(type));
        const auto hello = nlohmann::json::parse(text, nullptr, false);
        std::uint64_t max_unacked = 0;
        if (run_.opts().ack && !hello.is_discarded() && hello.contains("limits"))
            max_unacked = hello["limits"].value("maxUnackedBytes", std::uint64_t{0});
        acker_.start(max_unacked);
        take_challenge(text);
        state_ = state::greeted;
        run_.attempted(true,
                       !hello.is_discarded() && hello.value("iceTransportPolicy", "") == "relay");
        return;
    }
    // Acknowledged once handled, whatever it was.
    struct ack_after {
        churn_client& self;
        std::string_view text;
        ~ack_after() {
            if (self.state_ == state::broken) return;
            if (auto ack = self.acker_.processed(text, steady::now()); !ack.empty())
                self.send_ack(ack);
        }
    } acked{*this, text};
    if (state_ == state::stopped || state_ == state::broken) return;
    if (type == "waiting") {
        spin(run_.opts().waiting_spin_us);
        return take_challenge(text);
    }
    // The window is over and every client is closing: a partner_left from a
    // partner that closed first is no error.
    if (!run_.running()) {
        state_ = state::stopped;
        return;
    }
    if (type == "error") {
        // invalid_proof counts as any refusal; one for an expired challenge
        // carries its successor.
        take_challenge(text);
        return run_.errors().add("server error " + std::string(string_field(text, "code")));
    }
    const auto unexpected = [&] { run_.errors().add("unexpected " + std::string(type)); };
    static constexpr std::string_view next = R"({"type":"next"})";
    if (type == "partner_left") {
        if (state_ != state::awaiting_partner_left) unexpected();
        if (!run_.running()) {
            state_ = state::stopped;
            return;
        }
        return ask(next);
    }
    switch (state_) {
    case state::waiting:
        if (type != "matched") return unexpected();
        run_.matched(steady::now() - asked_);
        partner_node_ = -1;
        if (string_field(text, "role") == "offerer") {
            state_ = state::awaiting_answer;
            connection_.send(run_.text(node_, 0, 0));
        } else {
            state_ = state::awaiting_offer;
        }
        return;
    case state::awaiting_offer:
        if (type != "offer") return unexpected();
        partner_node_ = node_mark(text);
        state_ = state::awaiting_candidate;
        return connection_.send(run_.text(node_, 1, 1));
    case state::awaiting_answer:
        if (type != "answer") return unexpected();
        partner_node_ = node_mark(text);
        state_ = state::awaiting_last_candidate;
        return connection_.send(run_.text(node_, 0, 2));
    case state::awaiting_candidate:
        if (type != "candidate") return unexpected();
        state_ = state::awaiting_partner_left;
        return connection_.send(run_.text(node_, 1, 3));
    case state::awaiting_last_candidate:
        if (type != "candidate") return unexpected();
        return negotiated();
    default: return unexpected();
    }
}

void churn_client::on_closed(const error_code&, int close_code) {
    ended_ = true;
    if (state_ == state::connecting) return fail("closed before hello");
    if (!run_.running() && state_ != state::broken) {
        state_ = state::broken;
        return run_.ended();
    }
    state_ = state::broken;
    run_.errors().add("closed by the server (close code " + std::to_string(close_code) + ")");
    run_.ended();
}

}  // namespace onymous::bench
