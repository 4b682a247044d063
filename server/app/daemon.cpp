#include "app/daemon.hpp"

#include "admin/admin_server.hpp"
#include "app/system.hpp"
#include "net/listener.hpp"
#include "net/server_context.hpp"
#include "tls/tls_context.hpp"

#include <onymous/address/address_table.hpp>
#include <onymous/config/load.hpp>

#include <openssl/rand.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>

namespace onymous::app {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

/// Descriptors kept for listeners, logs and the admin endpoint.
constexpr std::uint64_t reserved_descriptors = 64;
constexpr auto shutdown_poll = std::chrono::milliseconds(25);
/// After the drain: how long the last closing handshakes may take.
constexpr auto last_close_grace = std::chrono::milliseconds(1000);
constexpr auto address_sweep_period = std::chrono::seconds(1);

/// Drawn at each start and never written anywhere: the per-address table's
/// hashes mean nothing once the process is gone.
address::hash_key random_hash_key() {
    address::hash_key key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
        throw std::runtime_error("no random bytes for the address table's key");
    return key;
}

void set_up_logging(config::log_level level) {
    auto logger = spdlog::stderr_logger_mt("onymousd");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
    switch (level) {
    case config::log_level::error: logger->set_level(spdlog::level::err); break;
    case config::log_level::warn: logger->set_level(spdlog::level::warn); break;
    case config::log_level::info: logger->set_level(spdlog::level::info); break;
    case config::log_level::debug: logger->set_level(spdlog::level::debug); break;
    }
    logger->flush_on(spdlog::level::err);
    spdlog::set_default_logger(logger);
}

session::session_settings make_session_settings(const config::settings& s) {
    session::session_settings out;
    out.parse.max_sdp_bytes = s.limits.max_sdp_bytes;
    out.parse.max_interests = s.matching.max_interests;
    out.hello.max_message_bytes = s.limits.max_message_bytes;
    out.hello.max_sdp_bytes = s.limits.max_sdp_bytes;
    out.hello.max_interests = s.matching.max_interests;
    out.hello.messages_per_second = s.limits.messages_per_second;
    out.hello.resume_grace_ms = static_cast<std::uint64_t>(s.limits.resume_grace.count());
    out.limits.messages_per_second = s.limits.messages_per_second;
    out.limits.burst = s.limits.burst;
    out.limits.joins_per_second = s.limits.joins_per_second;
    out.limits.join_burst = s.limits.join_burst;
    out.limits.pair_max_offers = s.limits.pair_max_offers;
    out.limits.pair_max_candidates = s.limits.pair_max_candidates;
    out.max_errors = s.limits.max_errors;
    out.resume_grace = s.limits.resume_grace;
    out.max_outbound_bytes = s.limits.max_outbound_bytes;
    out.relay_only = s.ice.privacy == config::ice_privacy::relay_only;
    // hello's and matched's TURN credentials, and relay-only's relay networks.
    out.ice = s.ice;
    return out;
}

/// Everything that runs. Members are declared so that nothing outlives what
/// it references: the matcher and the sessions' context first, then the
/// server context, then the workers (whose io_contexts, when destroyed,
/// destroy whatever handlers still hold connections and sessions, and those
/// reach back to the contexts), then the I/O objects living on worker 0.
class daemon {
public:
    daemon(const config::settings& settings, const run_options& options)
        : settings_(settings), options_(options) {}

    int run() {
        make_matcher();
        sessions_.emplace(make_session_settings(settings_), *matcher_);
        if (settings_.needs_tls()) tls_ = tls::make_server_context(settings_.tls);
        addresses_.emplace(
            address::address_limits{settings_.limits.max_connections_per_address,
                                    settings_.limits.new_connections_per_address_per_minute},
            random_hash_key());
        context_.emplace(settings_, *sessions_, tls_.get(), workers_, *addresses_);
        make_workers();
        bind();
        write_ready_file();
        watch_signals();
        sweep_addresses();
        for (auto& l : listeners_) l->start();
        admin_->start();
        spdlog::info("onymousd started: {} listener(s), {} thread(s)", listeners_.size(),
                     workers_.size());

        std::vector<std::thread> threads;
        for (std::size_t i = 1; i < workers_.size(); ++i)
            threads.emplace_back([w = workers_[i].get()] { w->run(); });
        workers_[0]->run();
        for (auto& t : threads) t.join();
        end_leftover_sessions();
        spdlog::info("onymousd stopped");
        return 0;
    }

private:
    void make_workers() {
        const unsigned count = settings_.threads ? settings_.threads : usable_cpus();
        for (unsigned i = 0; i < count; ++i) workers_.push_back(std::make_unique<net::worker>());
        wake_timer_.emplace(workers_[0]->io());
        shutdown_timer_.emplace(workers_[0]->io());
        sweep_timer_.emplace(workers_[0]->io());
    }

    void make_matcher() {
        match::options opts;
        opts.interest_timeout = settings_.matching.interest_timeout;
        opts.rematch_cooldown = settings_.matching.rematch_cooldown;
        opts.wake_at = [this](match::clock::time_point at) {
            if (workers_.empty()) return;  // before start-up, or after shutdown
            asio::post(workers_[0]->io(), [this, at] { arm_wake_timer(at); });
        };
        matcher_ = std::make_unique<match::matcher>(std::move(opts));
    }

    /// The matcher's deadlines (interest windows, cooldowns) run on worker 0.
    void arm_wake_timer(match::clock::time_point at) {
        if (wake_armed_ && at >= wake_at_) return;
        wake_armed_ = true;
        wake_at_ = at;
        wake_timer_->expires_at(at);
        wake_timer_->async_wait([this](error_code ec) {
            if (ec) return;  // re-armed earlier, or shutting down
            wake_armed_ = false;
            matcher_->poll();
        });
    }

    /// Forgets addresses with nothing open whose minute has passed. Looking
    /// one period ahead keeps "at most a minute after" (PROTOCOL.md, Privacy).
    void sweep_addresses() {
        if (!addresses_->enabled()) return;
        addresses_->sweep(std::chrono::steady_clock::now() + address_sweep_period);
        sweep_timer_->expires_after(address_sweep_period);
        sweep_timer_->async_wait([this](error_code ec) {
            if (!ec) sweep_addresses();
        });
    }

    void bind() {
        for (const auto& where : settings_.listeners)
            listeners_.push_back(
                std::make_shared<net::listener>(*context_, where, workers_[0]->io()));
        admin_ = std::make_shared<admin::admin_server>(*context_, workers_[0]->io());
    }

    void write_ready_file() {
        if (options_.ready_file.empty()) return;
        nlohmann::ordered_json ready;
        ready["listeners"] = nlohmann::ordered_json::array();
        for (const auto& l : listeners_) {
            const auto endpoint = l->local_endpoint();
            ready["listeners"].push_back({{"address", endpoint.address().to_string()},
                                          {"port", endpoint.port()},
                                          {"tls", l->tls()}});
        }
        const auto admin = admin_->local_endpoint();
        ready["admin"] = {{"address", admin.address().to_string()}, {"port", admin.port()}};
        write_file_atomically(options_.ready_file, ready.dump() + "\n");
    }

    void watch_signals() {
        signals_.emplace(workers_[0]->io(), SIGINT, SIGTERM);
        signals_->async_wait([this](error_code ec, int) {
            if (ec) return;
            begin_drain();
            // A second signal while draining: stop now, cleanly.
            signals_->async_wait([this](error_code ec2, int) {
                if (!ec2) finish_shutdown();
            });
        });
    }

    /// PROTOCOL.md, Draining: stop accepting, /readyz fails, every session
    /// hears `draining`; idle and waiting ones close now, paired ones when
    /// their pairing ends or shutdown.drain_timeout passes. Connections
    /// still in their TLS or HTTP handshake are aborted.
    void begin_drain() {
        context_->shutting_down.store(true);
        sessions_->draining.store(true, std::memory_order_release);
        for (auto& l : listeners_) l->stop();
        for (auto& w : workers_) {
            asio::post(w->io(), [w = w.get()] {
                for (auto& s : sessions_of(*w)) s->drain();
                w->abort_connections_in_handshake();
            });
        }
        // The drain's deadline bounds the whole shutdown, closing handshakes
        // included: supervisors kill what outlasts their stop grace.
        phase_deadline_ = std::chrono::steady_clock::now() + settings_.shutdown.drain_timeout;
        wait_until(
            [this] {
                return sessions_->counters.live.load() == 0 &&
                       context_->stats.open_connections.load() == 0;
            },
            [this] {
                if (sessions_->counters.live.load() == 0 &&
                    context_->stats.open_connections.load() == 0)
                    finish_shutdown();
                else
                    end_sessions();
            });
    }

    /// The drain's time is up: the sessions still paired are closed (1001),
    /// and their closing handshakes get a last short while.
    void end_sessions() {
        for (auto& w : workers_) {
            asio::post(w->io(), [w = w.get()] {
                for (auto& s : sessions_of(*w)) s->abort(protocol::close_code::going_away);
            });
        }
        phase_deadline_ =
            std::chrono::steady_clock::now() +
            std::min<std::chrono::milliseconds>(settings_.limits.close_timeout, last_close_grace);
        wait_until([this] { return context_->stats.open_connections.load() == 0; },
                   [this] { finish_shutdown(); });
    }

    /// Aborts whatever is left and lets every loop run out of work.
    void finish_shutdown() {
        if (finishing_) return;
        finishing_ = true;
        sessions_->draining.store(true, std::memory_order_release);
        context_->shutting_down.store(true);
        for (auto& l : listeners_) l->stop();
        admin_->stop();
        shutdown_timer_->cancel();
        wake_timer_->cancel();
        sweep_timer_->cancel();
        signals_->cancel();
        for (auto& w : workers_) {
            asio::post(w->io(), [w = w.get()] {
                for (auto& s : sessions_of(*w)) s->abort(protocol::close_code::going_away);
                w->abort_connections();
                w->release();
            });
        }
        // Aborted sockets complete at once; a loop that still has work after
        // this is abandoned (what it held is destroyed in order, below).
        stop_thread_ = std::thread([this] {
            std::unique_lock lock(stop_mutex_);
            if (!stop_cv_.wait_for(lock, std::chrono::seconds(2), [this] { return stopped_; }))
                for (auto& w : workers_) w->stop();
        });
    }

    /// Polls `done` until it holds or phase_deadline_ passes, then runs `next`.
    void wait_until(std::function<bool()> done, std::function<void()> next) {
        shutdown_timer_->expires_after(shutdown_poll);
        shutdown_timer_->async_wait(
            [this, done = std::move(done), next = std::move(next)](error_code ec) mutable {
                if (ec) return;
                if (!done() && std::chrono::steady_clock::now() < phase_deadline_) {
                    wait_until(std::move(done), std::move(next));
                    return;
                }
                next();
            });
    }

    static std::vector<std::shared_ptr<session::signaling_session>> sessions_of(net::worker& w) {
        std::vector<std::shared_ptr<session::signaling_session>> live;
        for (auto& [raw, weak] : w.sessions())
            if (auto s = weak.lock()) live.push_back(std::move(s));
        return live;
    }

    /// Every loop has returned: no thread runs any more, so sessions left in
    /// an abandoned loop are ended here, before the matcher goes.
    void end_leftover_sessions() {
        {
            const std::lock_guard lock(stop_mutex_);
            stopped_ = true;
        }
        stop_cv_.notify_all();
        if (stop_thread_.joinable()) stop_thread_.join();
        for (auto& w : workers_)
            for (auto& s : sessions_of(*w)) s->end_now();
    }

    const config::settings& settings_;
    const run_options& options_;
    std::unique_ptr<match::matcher> matcher_;
    std::optional<session::session_context> sessions_;
    std::optional<address::address_table> addresses_;
    std::unique_ptr<asio::ssl::context> tls_;
    std::optional<net::server_context> context_;
    std::vector<std::unique_ptr<net::worker>> workers_;
    std::optional<asio::steady_timer> wake_timer_;
    std::optional<asio::steady_timer> shutdown_timer_;
    std::optional<asio::steady_timer> sweep_timer_;
    std::optional<asio::signal_set> signals_;
    std::vector<std::shared_ptr<net::listener>> listeners_;
    std::shared_ptr<admin::admin_server> admin_;

    bool wake_armed_ = false;
    match::clock::time_point wake_at_{};
    std::chrono::steady_clock::time_point phase_deadline_{};
    bool finishing_ = false;
    std::thread stop_thread_;  ///< stops loops that do not run out of work
    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    bool stopped_ = false;
};

}  // namespace

int run_daemon(const config::settings& settings, const run_options& options) {
    set_up_logging(settings.logging.level);
    const auto open_files = raise_open_file_limit();
    if (open_files != 0 && settings.limits.max_connections + reserved_descriptors > open_files)
        spdlog::warn("limits.max_connections is {} but this process may open only {} files",
                     settings.limits.max_connections, open_files);
    for (const auto& warning : config::warnings(settings)) spdlog::warn("{}", warning);
    try {
        daemon d(settings, options);
        return d.run();
    } catch (const std::exception& e) {
        spdlog::error("cannot start: {}", e.what());
        return 1;
    }
}

int check_config(const std::string& path) {
    try {
        const auto settings = config::load_file(path);
        if (settings.needs_tls()) tls::make_server_context(settings.tls);
        for (const auto& warning : config::warnings(settings))
            std::fprintf(stderr, "onymousd: warning: %s\n", warning.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "onymousd: %s\n", e.what());
        std::fprintf(stderr, "onymousd: configuration file %s test failed\n", path.c_str());
        return 1;
    }
    std::fprintf(stderr, "onymousd: configuration file %s test is successful\n", path.c_str());
    return 0;
}

}  // namespace onymous::app
