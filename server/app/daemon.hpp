#pragma once
// Wiring of the daemon: workers, matcher, TLS, listeners, admin endpoint,
// signals. main.cpp only parses the command line.

#include <onymous/config/config.hpp>

#include <string>

namespace onymous::app {

struct run_options {
    /// The file the settings came from: SIGHUP reads it again.
    std::string config_path;
    /// When set, written (atomically) with the bound ports once every
    /// listener is listening: for tests and supervisors using port 0.
    std::string ready_file;
};

/// Runs until SIGTERM or SIGINT (SIGHUP reloads); returns the exit code.
int run_daemon(const config::settings& settings, const run_options& options);

/// `--check-config`: loads the file and the TLS material; prints the verdict.
int check_config(const std::string& path);

}  // namespace onymous::app
