#include "app/daemon.hpp"

#include "admin/admin_server.hpp"
#include "app/heap_trimmer.hpp"
#include "app/logging.hpp"
#include "app/loop_monitor.hpp"
#include "app/reload.hpp"
#include "app/shutdown.hpp"
#include "app/snapshot.hpp"
#include "app/system.hpp"
#include "app/systemd.hpp"
#include "cluster/node/node.hpp"
#include "net/listener.hpp"
#include "net/server_context.hpp"
#include "tls/tls_context.hpp"

#include <onymous/address/address_table.hpp>
#include <onymous/config/load.hpp>

#include <openssl/rand.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

namespace onymous::app {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

/// Descriptors kept for listeners, logs and the admin endpoint.
constexpr std::uint64_t reserved_descriptors = 64;
constexpr auto address_sweep_period = std::chrono::seconds(1);

/// Drawn at each start and never written anywhere: the per-address table's
/// hashes mean nothing once the process is gone.
address::hash_key random_hash_key() {
    address::hash_key key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
        throw std::runtime_error("no random bytes for the address table's key");
    return key;
}

/// Everything that runs. Members are declared so that nothing outlives what
/// it references: the matcher and the sessions' context first, then the
/// server context, then the workers (whose io_contexts, when destroyed,
/// destroy whatever handlers still hold connections and sessions, and those
/// reach back to the contexts), then the I/O objects living on worker 0 and
/// on the control thread (listeners, admin endpoint, loop monitor, reloads),
/// declared after that thread's io_context. Reload and
/// shutdown are objects of their own (app/reload, app/shutdown).
class daemon {
public:
    daemon(const config::settings& settings, const run_options& options)
        : settings_(settings), options_(options) {}

    int run() {
        make_matcher();
        auto first = make_snapshot(settings_);
        sessions_.emplace(first->sessions, *matcher_);
        if (cluster_ != nullptr) {
            cluster_->hold_sessions(&sessions_->tokens);
            cluster_->share_abuse(&sessions_->abuse);
            sessions_->others = cluster_;
        }
        addresses_.emplace(address_limits_of(settings_.limits), random_hash_key());
        context_.emplace(std::move(first), *sessions_, workers_, *addresses_);
        if (cluster_ != nullptr) context_->cluster = &cluster_->counters();
        make_workers();
        bind();
        watch_signals();
        sweep_addresses();
        for (auto& l : listeners_) l->start();
        admin_->start();
        monitor_->start();
        trimmer_->start();
        context_->listening.store(true);
        // Ready only once SIGHUP and SIGTERM are handled: a reload sent the
        // moment the ready file appeared found SIGHUP's default action,
        // which ends the process (a fresh-clone CI run, TSan's slow start).
        write_ready_file();
        notifier_.ready(status_line());
        arm_test_hooks();
        spdlog::info("onymousd started: {} listener(s), {} thread(s)", listeners_.size(),
                     workers_.size());
        if (cluster_ != nullptr) spdlog::info("cluster node {}", cluster_->id());

        control_thread_ = std::thread([this] { control_.run(); });
        std::vector<std::thread> threads;
        for (std::size_t i = 1; i < workers_.size(); ++i)
            threads.emplace_back([w = workers_[i].get()] { w->run(); });
        workers_[0]->run();
        for (auto& t : threads) t.join();
        shutdown_->after_loops();
        if (control_thread_.joinable()) control_thread_.join();
        spdlog::info("onymousd stopped");
        return 0;
    }

    ~daemon() {
        // The sessions' directory and abuse controls go before the cluster
        // node (declared after it), whose thread still runs: it must stop
        // looking there.
        if (cluster_ != nullptr) {
            cluster_->hold_sessions(nullptr);
            cluster_->share_abuse(nullptr);
        }
        // A start-up that threw leaves the control loop unstarted or running.
        control_guard_.reset();
        control_.stop();
        if (control_thread_.joinable()) control_thread_.join();
    }

private:
    void make_workers() {
        const unsigned count = settings_.threads ? settings_.threads : usable_cpus();
        for (unsigned i = 0; i < count; ++i) workers_.push_back(std::make_unique<net::worker>());
        wake_timer_.emplace(workers_[0]->io());
        sweep_timer_.emplace(workers_[0]->io());
        monitor_.emplace(control_, workers_, notifier_, context_->stats.stalled_loops,
                         [this] { return status_line(); });
        trimmer_.emplace(control_, *context_, context_->stats.heap_trims_total);
        shutdown_.emplace(shutdown_sequence::parts{
            *context_, *sessions_, workers_, listeners_, notifier_, drain_timeout_, control_,
            [this] { stop_control_objects(); }, [this] { cancel_own_timers(); }});
        reloader_.emplace(options_.config_path, settings_,
                          reloader::targets{*context_, drain_timeout_, notifier_,
                                            [this] { return status_line(); }});
    }

    /// On the control thread, when stopping: what lives there.
    void stop_control_objects() {
        admin_->stop();
        monitor_->stop();
        trimmer_->stop();
        hangups_->cancel();
        control_guard_.reset();
    }

    /// On worker 0, when stopping: the matcher's wake-ups, the address
    /// sweep, the signals.
    void cancel_own_timers() {
        wake_timer_->cancel();
        sweep_timer_->cancel();
        signals_->cancel();
    }

    void make_matcher() {
        if (settings_.cluster) {
            cluster::node_options opts{*settings_.cluster, settings_.matching.interest_timeout,
                                       settings_.matching.rematch_cooldown, true};
            auto node = std::make_unique<cluster::node>(std::move(opts));
            cluster_ = node.get();
            matcher_ = std::move(node);
            return;
        }
        match::options opts;
        opts.interest_timeout = settings_.matching.interest_timeout;
        opts.rematch_cooldown = settings_.matching.rematch_cooldown;
        opts.wake_at = [this](match::clock::time_point at) {
            if (workers_.empty()) return;  // before start-up, or after shutdown
            asio::post(workers_[0]->io(), [this, at] { arm_wake_timer(at); });
        };
        auto local = std::make_unique<match::matcher>(std::move(opts));
        local_matcher_ = local.get();
        matcher_ = std::move(local);
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
            local_matcher_->poll();
        });
    }

    /// Forgets addresses with nothing open whose minute has passed. Looking
    /// one period ahead keeps "at most a minute after" (PROTOCOL.md, Privacy).
    /// Runs even with the limits off: a reload may turn them on.
    void sweep_addresses() {
        addresses_->sweep(std::chrono::steady_clock::now() + address_sweep_period);
        sweep_timer_->expires_after(address_sweep_period);
        sweep_timer_->async_wait([this](error_code ec) {
            if (!ec) sweep_addresses();
        });
    }

    void bind() {
        const auto passed = passed_sockets_for(settings_.listeners);
        // Listeners accept on the control thread. Asio keeps a record of
        // every socket it has registered, for reuse, and never frees it;
        // made on a worker, those records sat between that worker's
        // per-connection allocations and pinned a heap page each after a
        // spike had gone (12 MB after 3,000 connections; 4 MB here instead,
        // docs/performance.md). The refusals before TLS run here too, off the
        // workers' loops.
        for (std::size_t i = 0; i < settings_.listeners.size(); ++i)
            listeners_.push_back(std::make_shared<net::listener>(*context_, settings_.listeners[i],
                                                                 control_, passed[i]));
        // The admin endpoint has a loop of its own: it answers (503) while
        // a worker is wedged, and no public connection ever runs there.
        admin_ = std::make_shared<admin::admin_server>(*context_, control_);
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

    std::string status_line() const {
        const auto& m = matcher_->stats();
        return std::to_string(context_->stats.websocket_connections.load()) + " connections, " +
               std::to_string(m.waiting_text.load() + m.waiting_video.load()) + " waiting";
    }

    void watch_signals() {
        signals_.emplace(workers_[0]->io(), SIGINT, SIGTERM);
        signals_->async_wait([this](error_code ec, int) {
            if (ec) return;
            shutdown_->begin_drain();
            // A second signal while draining: stop now, cleanly.
            signals_->async_wait([this](error_code ec2, int) {
                if (!ec2) shutdown_->stop_now();
            });
        });
        hangups_.emplace(control_, SIGHUP);
        wait_for_hangup();
    }

    void wait_for_hangup() {
        hangups_->async_wait([this](error_code ec, int) {
            if (ec) return;
            reloader_->reload();
            wait_for_hangup();
        });
    }

    /// Test builds only (ONYMOUS_TEST_HOOKS): ONYMOUS_TEST_WEDGE_AFTER_MS=N
    /// blocks the last worker's loop for a minute, N ms after start, for the
    /// watchdog test (tests/e2e/systemd_notify_test.cpp).
    void arm_test_hooks() {
#ifdef ONYMOUS_TEST_HOOKS
        const char* after = std::getenv("ONYMOUS_TEST_WEDGE_AFTER_MS");
        if (after == nullptr) return;
        wedge_timer_.emplace(workers_.back()->io());
        wedge_timer_->expires_after(std::chrono::milliseconds(std::atoi(after)));
        wedge_timer_->async_wait([](error_code ec) {
            if (!ec) std::this_thread::sleep_for(std::chrono::minutes(1));
        });
#endif
    }

    const config::settings& settings_;
    const run_options& options_;
    systemd_notifier notifier_;
    std::atomic<std::chrono::milliseconds> drain_timeout_{settings_.shutdown.drain_timeout};
    std::unique_ptr<match::matchmaker> matcher_;
    match::matcher* local_matcher_ = nullptr;  ///< single-node mode
    cluster::node* cluster_ = nullptr;         ///< cluster mode
    std::optional<session::session_context> sessions_;
    std::optional<address::address_table> addresses_;
    std::optional<net::server_context> context_;
    std::vector<std::unique_ptr<net::worker>> workers_;
    std::optional<asio::steady_timer> wake_timer_;
    std::optional<asio::steady_timer> sweep_timer_;
    std::optional<asio::steady_timer> wedge_timer_;
    std::optional<asio::signal_set> signals_;

    // The control thread: listeners, admin endpoint, loop monitor, SIGHUP,
    // heap trimmer. Everything that lives on it is declared after it, so
    // that it goes first.
    asio::io_context control_{1};
    asio::executor_work_guard<asio::io_context::executor_type> control_guard_{
        control_.get_executor()};
    std::thread control_thread_;
    std::vector<std::shared_ptr<net::listener>> listeners_;
    std::shared_ptr<admin::admin_server> admin_;
    std::optional<loop_monitor> monitor_;
    std::optional<heap_trimmer> trimmer_;
    std::optional<asio::signal_set> hangups_;

    std::optional<reloader> reloader_;
    /// Last: it joins its thread before anything it acts on goes.
    std::optional<shutdown_sequence> shutdown_;

    bool wake_armed_ = false;
    match::clock::time_point wake_at_{};
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
