#pragma once
// What the daemon says to systemd and takes from it (systemd/onymousd.service
// and .socket): sd_notify for Type=notify and the watchdog, and the
// listening sockets of socket activation. Without NOTIFY_SOCKET or
// LISTEN_FDS every call here is a no-op, so the daemon runs the same under
// any supervisor.

#include <onymous/config/config.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace onymous::app {

class systemd_notifier {
public:
    /// Reads NOTIFY_SOCKET and WATCHDOG_USEC (and WATCHDOG_PID) once.
    systemd_notifier();

    /// Every listener is bound: READY=1 with a STATUS= line.
    void ready(const std::string& status) const;
    void status(const std::string& status) const;
    /// SIGHUP: RELOADING=1 with MONOTONIC_USEC, as systemd 253+ expects
    /// (older versions ignore the field); ready() again once it is over.
    void reloading() const;
    /// Draining has begun.
    void stopping() const;
    /// One keep-alive; send only while every event loop answers.
    void watchdog() const;

    /// The watchdog's period (WatchdogSec=), zero when it is off.
    std::chrono::microseconds watchdog_interval() const { return watchdog_; }

private:
    void send(const std::string& state) const;

    bool enabled_ = false;
    std::chrono::microseconds watchdog_{0};
};

/// Socket activation: for each listener, the listening socket systemd
/// passed (LISTEN_FDS for this pid) under its fd_name, or -1 for a listener
/// that binds itself. The environment variables are unset, so that no child
/// would take them; passed sockets no listener names are closed, with a
/// warning. Throws std::runtime_error for an fd_name that was not passed,
/// or a passed descriptor that is not a listening TCP socket.
std::vector<int> passed_sockets_for(const std::vector<config::listener>& listeners);

}  // namespace onymous::app
