#pragma once
// The real onymousd started for one test: its own scratch directory, config
// file, ready file and captured stderr. The binary is $ONYMOUSD_BINARY when
// set (a sanitizer build of the daemon), else the compiled-in ONYMOUSD_PATH.
// (Named daemon_process because <unistd.h> declares a function called daemon.)

#include "process.hpp"
#include "temp_dir.hpp"
#include "test_config.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace onymous::test {

/// Start-up allowance: generous, because sanitizer builds start slowly.
inline constexpr std::chrono::milliseconds daemon_start_timeout{30000};

/// How the daemon is started, beyond its config (for the systemd tests:
/// sd_notify, socket activation, test hooks).
struct launch_options {
    /// Added to the inherited environment, replacing a variable of the same
    /// name. NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*, ONYMOUS_TEST_*,
    /// GLIBC_TUNABLES, ONYMOUS_KEEP_MALLOC and ONYMOUS_MALLOC_TUNED are never
    /// inherited here: only what a test sets reaches the daemon.
    std::vector<std::pair<std::string, std::string>> environment;
    /// Descriptors that become the child's 3, 4, ... (in this order), with
    /// FD_CLOEXEC cleared, as systemd passes sockets. The caller keeps its own.
    std::vector<int> pass_fds;
    /// Sets LISTEN_PID to the child's own pid (known only after the fork, so
    /// it is set in the child before exec). Overrides `environment`.
    bool listen_pid_is_child = false;
    /// Wait for the ready file in the constructor. When false, the test calls
    /// await_ready() itself, or expects the daemon to exit (wait_exit()).
    bool wait_ready = true;
};

/// One bound listener, as the ready file reports it.
struct bound_listener {
    std::string address;
    std::uint16_t port = 0;
    bool tls = false;
};

class daemon_process {
public:
    /// Writes base_config() with `overrides` applied, starts the daemon and
    /// waits for its ready file. Throws std::runtime_error (with the daemon's
    /// stderr) when it exits or is not ready within the start timeout.
    /// (An initializer list rather than a vector: a vector would make a single
    /// override `{{"key", "value"}}` ambiguous with its iterator-pair constructor.)
    daemon_process(std::initializer_list<config_override> overrides = {});
    /// The same, started as `launch` says.
    daemon_process(const launch_options& launch, std::initializer_list<config_override> overrides);
    /// The same with overrides made at run time (a fixture's).
    daemon_process(const launch_options& launch, const std::vector<config_override>& overrides);
    /// Stops the daemon (SIGTERM, then SIGKILL after a grace) if still running.
    ~daemon_process();
    daemon_process(const daemon_process&) = delete;
    daemon_process& operator=(const daemon_process&) = delete;

    /// Listeners in the order of the config, then the admin listener.
    const std::vector<bound_listener>& listeners() const { return listeners_; }
    /// The first TLS listener's port.
    std::uint16_t tls_port() const;
    /// The first plain listener's port.
    std::uint16_t plain_port() const;
    std::uint16_t admin_port() const { return admin_port_; }
    pid_t pid() const { return pid_; }
    bool running() const { return !status_.has_value(); }

    /// The config as written.
    const config_tree& config() const { return config_; }
    const std::filesystem::path& config_path() const { return config_path_; }
    const temp_dir& dir() const { return dir_; }

    /// Everything the daemon wrote to stderr so far.
    std::string log() const;

    /// Sends `signal` (SIGTERM by default), then waits up to `grace` (SIGKILL
    /// after it). Idempotent: later calls return the first exit status.
    exit_status stop(std::chrono::milliseconds grace = std::chrono::seconds(5), int signal = 15);

    /// Waits up to `timeout` for the daemon to exit by itself (no signal is
    /// sent); nullopt while it still runs. Later stop() calls return this status.
    std::optional<exit_status> wait_exit(std::chrono::milliseconds timeout);

    /// Waits for the ready file (after launch_options::wait_ready = false);
    /// throws like the constructor. Does nothing when already ready.
    void await_ready(std::chrono::milliseconds timeout = daemon_start_timeout);

private:
    void wait_ready(std::chrono::milliseconds timeout);

    temp_dir dir_;
    config_tree config_;
    std::filesystem::path config_path_;
    std::filesystem::path ready_path_;
    std::filesystem::path log_path_;
    pid_t pid_ = -1;
    std::optional<exit_status> status_;
    std::vector<bound_listener> listeners_;
    std::uint16_t admin_port_ = 0;
    bool ready_ = false;
};

/// The daemon binary the tests run: $ONYMOUSD_BINARY if set and not empty,
/// else ONYMOUSD_PATH.
std::string daemon_binary();

}  // namespace onymous::test
