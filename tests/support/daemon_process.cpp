#include "daemon_process.hpp"

#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <thread>

#ifndef ONYMOUSD_PATH
#error "ONYMOUSD_PATH must name the onymousd binary"
#endif

namespace onymous::test {

namespace {

constexpr const char* setpriv_path = "/usr/bin/setpriv";

}  // namespace

std::string daemon_binary() {
    if (const char* path = std::getenv("ONYMOUSD_BINARY"); path != nullptr && *path != '\0')
        return path;
    return ONYMOUSD_PATH;
}

daemon_process::daemon_process(std::initializer_list<config_override> overrides)
    : config_(base_config()) {
    apply_overrides(config_, std::vector<config_override>(overrides));
    config_path_ = dir_.write("onymousd.yaml", to_yaml(config_));
    ready_path_ = dir_.file("ready.json");
    log_path_ = dir_.file("stderr.log");
    std::vector<std::string> argv{daemon_binary(), "--config", config_path_.string(),
                                  "--ready-file", ready_path_.string()};
    // If this test process dies without running destructors (an abort, a
    // crash), the daemon must not outlive it: util-linux's setpriv sets the
    // parent-death signal and then execs the daemon under the same pid.
    if (::access(setpriv_path, X_OK) == 0)
        argv.insert(argv.begin(), {setpriv_path, "--pdeathsig", "KILL", "--"});
    pid_ = spawn_process(argv, dir_.file("stdout.log"), log_path_);
    try {
        wait_ready(daemon_start_timeout);
    } catch (...) {
        stop(std::chrono::seconds(2));
        throw;
    }
}

daemon_process::~daemon_process() { stop(); }

void daemon_process::wait_ready(std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    for (;;) {
        // The daemon renames a complete file into place, so a readable file
        // is a whole one; a parse failure is still retried until the deadline.
        const std::string text = read_file(ready_path_);
        if (!text.empty()) {
            const auto ready = nlohmann::json::parse(text, nullptr, false);
            if (!ready.is_discarded() && ready.contains("listeners") && ready.contains("admin")) {
                for (const auto& entry : ready.at("listeners"))
                    listeners_.push_back({entry.at("address").get<std::string>(),
                                          entry.at("port").get<std::uint16_t>(),
                                          entry.at("tls").get<bool>()});
                admin_port_ = ready.at("admin").at("port").get<std::uint16_t>();
                return;
            }
        }
        if (auto status = wait_process(pid_, clock_type::now())) {
            status_ = status;
            throw std::runtime_error("onymousd exited before it was ready (" + status->describe() +
                                     "); config " + config_path_.string() + ", stderr:\n" + log());
        }
        if (clock_type::now() >= deadline)
            throw std::runtime_error("onymousd not ready within " +
                                     std::to_string(timeout.count()) + " ms; stderr:\n" + log());
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::uint16_t daemon_process::tls_port() const {
    for (const auto& entry : listeners_)
        if (entry.tls) return entry.port;
    throw std::logic_error("no TLS listener in this daemon's config");
}

std::uint16_t daemon_process::plain_port() const {
    for (const auto& entry : listeners_)
        if (!entry.tls) return entry.port;
    throw std::logic_error("no plain listener in this daemon's config");
}

std::string daemon_process::log() const { return read_file(log_path_); }

exit_status daemon_process::stop(std::chrono::milliseconds grace, int signal) {
    static_assert(SIGTERM == 15, "the default argument of stop() is SIGTERM");
    if (!status_) status_ = stop_process(pid_, signal, grace);
    return *status_;
}

std::optional<exit_status> daemon_process::wait_exit(std::chrono::milliseconds timeout) {
    if (!status_) status_ = wait_process(pid_, clock_type::now() + timeout);
    return status_;
}

}  // namespace onymous::test
