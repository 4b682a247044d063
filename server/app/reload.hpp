#pragma once
// SIGHUP (docs/operations.md, Reload), on the control thread: the whole file
// and its TLS files are read and checked first; only a good one replaces,
// in this order, the per-address limits, the memory budget, the log level,
// the drain timeout and the snapshot that new connections take. Open
// connections and their sessions keep theirs. What a reload cannot change
// (threads, listeners, admin, cluster, the matcher's windows) is kept from
// the running configuration, with a warning.

#include "app/systemd.hpp"
#include "net/server_context.hpp"

#include <onymous/config/config.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

namespace onymous::app {

class reloader {
public:
    /// What a reload changes; all of it outlives this object.
    struct targets {
        net::server_context& server;
        std::atomic<std::chrono::milliseconds>& drain_timeout;
        const systemd_notifier& notifier;
        /// The STATUS= line after a reload.
        std::function<std::string()> status_line;
    };

    /// `running`: the settings the daemon started with.
    reloader(std::string config_path, const config::settings& running, targets t)
        : path_(std::move(config_path)), running_(running), targets_(std::move(t)) {}

    /// Reads the file again; a bad one changes nothing (logged, counted).
    void reload();

private:
    std::string path_;
    const config::settings& running_;
    targets targets_;
};

}  // namespace onymous::app
