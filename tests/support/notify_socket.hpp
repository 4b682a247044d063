#pragma once
// A fake service manager's notification socket: the AF_UNIX datagram socket
// that systemd names in NOTIFY_SOCKET, bound by the test, with SO_PASSCRED so
// that every datagram carries its sender's pid (SCM_CREDENTIALS), as systemd
// checks it. Messages are recorded in arrival order with their arrival time.

#include "temp_dir.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onymous::test {

/// One sd_notify datagram: newline-separated KEY=VALUE assignments.
struct notify_message {
    std::string text;
    /// The assignments in order (a key may repeat; value() returns the last).
    std::vector<std::pair<std::string, std::string>> fields;
    /// The sender's credentials from SCM_CREDENTIALS; -1 when none came.
    pid_t pid = -1;
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    /// When this process read it (steady clock).
    std::chrono::steady_clock::time_point received;
    /// CLOCK_MONOTONIC in microseconds when this process read it (the clock of
    /// MONOTONIC_USEC).
    long long received_monotonic_usec = 0;

    bool has(std::string_view key) const;
    /// The value of `key`, or nullopt when the message does not assign it.
    std::optional<std::string> value(std::string_view key) const;
    /// True when the message assigns `key` exactly `expected`.
    bool is(std::string_view key, std::string_view expected) const;
};

class notify_socket {
public:
    /// Binds a fresh socket in its own temporary directory.
    notify_socket();
    ~notify_socket();
    notify_socket(const notify_socket&) = delete;
    notify_socket& operator=(const notify_socket&) = delete;

    /// The socket's path, for NOTIFY_SOCKET.
    const std::filesystem::path& path() const { return path_; }

    /// The next datagram, or nullopt when none arrives within `timeout`.
    /// Throws std::runtime_error on a socket error or a datagram that is not
    /// KEY=VALUE lines.
    std::optional<notify_message> receive(std::chrono::milliseconds timeout);

    /// Receives until a datagram satisfies `match` (others are kept in
    /// history()), or nullopt at `timeout`.
    std::optional<notify_message> wait_for(const std::function<bool(const notify_message&)>& match,
                                           std::chrono::milliseconds timeout);
    /// Receives until a datagram assigns `key` exactly `value`.
    std::optional<notify_message> wait_for(std::string_view key, std::string_view value,
                                           std::chrono::milliseconds timeout);

    /// Every datagram received so far, in arrival order.
    const std::vector<notify_message>& history() const { return history_; }

private:
    temp_dir dir_;
    std::filesystem::path path_;
    int fd_ = -1;
    std::vector<notify_message> history_;
};

/// CLOCK_MONOTONIC now, in microseconds (what sd_notify's MONOTONIC_USEC uses).
long long monotonic_usec();

}  // namespace onymous::test
