// handshake: K connectors, each in a loop: connect, TLS 1.3 handshake,
// upgrade, read hello, close (a close frame, as a leaving client sends, so
// the server ends the session at once instead of keeping it for a resume).
// The next connection starts when the previous one is closed. Then the bare
// handshake floor (tls_floor.cpp) with the same certificate and key.

#include "common.hpp"
#include "histogram.hpp"
#include "proc_stats.hpp"
#include "report.hpp"
#include "scenarios.hpp"
#include "tls_floor.hpp"

#include <memory>
#include <vector>

namespace onymous::bench {

namespace {

namespace net = boost::asio;

class handshake_run;

class connector final : public ws_connection::listener {
public:
    connector(handshake_run& run, net::io_context& ioc) : run_(run), retry_(ioc) {}
    void start();

    void on_open(const error_code& ec, const char* step) override;
    void on_message(std::string_view text) override;
    void on_closed(const error_code& ec, int close_code) override;
    bool idle() const { return connection_ == nullptr; }

private:
    void again();

    handshake_run& run_;
    net::steady_timer retry_;
    std::unique_ptr<ws_connection> connection_;
    steady::time_point started_;
    bool greeted_ = false;
};

class handshake_run {
public:
    explicit handshake_run(const options& opts)
        : opts_(opts),
          timer_(ioc_),
          ticker_(ioc_, "handshake", !opts.quiet, [this] { return progress_line(); }),
          cpu_(opts.server_pids) {
        if (opts.tls) tls_ = std::make_unique<tls_client_context>();
        const std::size_t count = opts.concurrency == 0 ? 8 : opts.concurrency;
        for (std::size_t i = 0; i < count; ++i)
            connectors_.push_back(std::make_unique<connector>(*this, ioc_));
    }

    void run() {
        raise_descriptor_limit();
        running_ = true;
        cpu_.start();
        started_ = steady::now();
        ticker_.start();
        for (auto& c : connectors_) c->start();
        timer_.expires_at(started_ + std::chrono::duration_cast<steady::duration>(
                                         std::chrono::duration<double>(opts_.seconds)));
        timer_.async_wait([this](const error_code& ec) {
            if (!ec) stop();
        });
        ioc_.run();
    }

    net::io_context& io() { return ioc_; }
    tls_client_context* tls() { return tls_.get(); }
    const options& opts() const { return opts_; }
    error_tally& errors() { return errors_; }
    bool running() const { return running_; }

    /// Where the next connection goes: source addresses and nodes in turn.
    std::string next_source() { return ipv4_plus(opts_.source_base, counter_ % opts_.sources); }
    connect_target next_target() { return target_of(opts_, node_for(opts_, counter_++)); }
    void completed(steady::duration took) {
        if (!running_) return;
        ++completed_;
        latency_.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()));
    }
    void idle_now() {
        if (running_) return;
        for (const auto& c : connectors_)
            if (!c->idle()) return;
        ioc_.stop();
    }

    std::uint64_t completed_count() const { return completed_; }
    double seconds() const { return seconds_; }
    const latency_histogram& latency() const { return latency_; }
    const cpu_meter& server_cpu() const { return cpu_; }

private:
    std::string progress_line() const {
        const double elapsed = seconds_between(started_, steady::now());
        return with_separators(elapsed, 1) + " s: " + with_separators(double(completed_), 0) +
               " connections, " + with_separators(elapsed > 0 ? completed_ / elapsed : 0.0, 0) +
               "/s";
    }

    void stop() {
        running_ = false;
        cpu_.stop();
        seconds_ = seconds_between(started_, steady::now());
        ticker_.stop();
        // Connections in progress finish (and close) by themselves.
        timer_.expires_after(std::chrono::seconds(5));
        timer_.async_wait([this](const error_code& ec) {
            if (!ec) ioc_.stop();
        });
        idle_now();
    }

    const options& opts_;
    net::io_context ioc_{1};
    std::unique_ptr<tls_client_context> tls_;
    std::vector<std::unique_ptr<connector>> connectors_;
    net::steady_timer timer_;
    progress_ticker ticker_;
    error_tally errors_;
    latency_histogram latency_;
    cpu_meter cpu_;
    steady::time_point started_;
    std::uint64_t counter_ = 0;
    std::uint64_t completed_ = 0;
    double seconds_ = 0;
    bool running_ = false;
};

void connector::start() {
    // Replacing the handle inside its own callback is safe: the old
    // connection lives on until its last handler has run (ws_connection.hpp).
    connection_ = std::make_unique<ws_connection>(run_.io(), run_.tls(), *this);
    greeted_ = false;
    started_ = steady::now();
    const std::string source = run_.next_source();
    connection_->open(run_.next_target(), run_.opts().path, source);
}

void connector::again() {
    if (run_.running()) return start();
    connection_.reset();
    run_.idle_now();
}

void connector::on_open(const error_code& ec, const char* step) {
    if (!ec) return;
    run_.errors().add(step, ec);
    // A refused connect fails at once: wait a little rather than spin.
    retry_.expires_after(std::chrono::milliseconds(10));
    retry_.async_wait([this](const error_code& e) {
        if (!e) again();
    });
}

void connector::on_message(std::string_view text) {
    if (greeted_) return;
    greeted_ = true;
    if (message_type(text) != "hello") {
        run_.errors().add("first message was not hello but " + std::string(message_type(text)));
        connection_->abort();
        return again();
    }
    run_.completed(steady::now() - started_);
    connection_->close();
}

void connector::on_closed(const error_code& ec, int) {
    if (!greeted_) run_.errors().add("closed before hello", ec);
    again();
}

}  // namespace

int run_handshake(const options& opts) {
    handshake_run run(opts);
    run.run();
    const double seconds = run.seconds();
    const double connections = static_cast<double>(run.completed_count());
    auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };

    report out("handshake", opts.label);
    out.text("transport", "transport", transport_name(opts));
    out.integer("connectors", "concurrent connectors",
                static_cast<std::int64_t>(opts.concurrency == 0 ? 8 : opts.concurrency));
    out.number("seconds", "measured", seconds, "s", 2);
    out.integer("connections", "connections up to hello",
                static_cast<std::int64_t>(run.completed_count()));
    out.number("connections_per_s", "new connections/s", seconds > 0 ? connections / seconds : 0.0,
               "/s");
    out.number("connect_to_hello_p50_us", "connect to hello p50",
               us(run.latency().quantile_ns(0.5)), "us");
    out.number("connect_to_hello_p99_us", "connect to hello p99",
               us(run.latency().quantile_ns(0.99)), "us");
    if (run.server_cpu().valid()) {
        const double cpu = run.server_cpu().seconds();
        out.number("server_cpu_us_per_connection", "server CPU per connection",
                   connections > 0 ? cpu * 1e6 / connections : 0.0, "us", 1);
        out.number("server_cpu_percent", "server CPU", seconds >= 0.1 ? 100.0 * cpu / seconds : 0.0,
                   "%", 1);
    }
    if (opts.floors && opts.tls) {
        if (opts.cert_file.empty() || opts.key_file.empty()) {
            out.note("no --cert/--key: the bare handshake floor was not measured");
        } else {
            const tls_floor floor =
                measure_tls_floor(opts.cert_file, opts.key_file, opts.floor_iterations);
            if (!floor.error.empty()) run.errors().add("tls floor: " + floor.error);
            out.integer("bare_handshakes", "bare TLS 1.3 handshakes (memory BIOs)",
                        static_cast<std::int64_t>(floor.server_cpu.count()));
            out.number("bare_handshake_server_cpu_p50_us",
                       "bare handshake, server SSL_do_handshake CPU p50",
                       us(floor.server_cpu.quantile_ns(0.5)), "us", 1);
            out.number("bare_handshake_server_cpu_p90_us",
                       "bare handshake, server SSL_do_handshake CPU p90",
                       us(floor.server_cpu.quantile_ns(0.9)), "us", 1);
            out.number("bare_handshake_client_cpu_p50_us",
                       "bare handshake, client SSL_do_handshake CPU p50",
                       us(floor.client_cpu.quantile_ns(0.5)), "us", 1);
        }
    }
    out.generator_and_errors(run.server_cpu().own_seconds(), seconds, run.errors());
    out.print(opts.json);
    return run.errors().total() == 0 && run.completed_count() > 0 ? 0 : 1;
}

}  // namespace onymous::bench
