#include "app/systemd.hpp"

#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <map>
#include <stdexcept>

namespace onymous::app {

systemd_notifier::systemd_notifier() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    enabled_ = socket != nullptr && *socket != '\0';
    std::uint64_t usec = 0;
    // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is ours.
    if (sd_watchdog_enabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec);
}

void systemd_notifier::send(const std::string& state) const {
    if (!enabled_) return;
    // A supervisor that went away must not stop the daemon: logged only.
    if (const int r = sd_notify(0, state.c_str()); r < 0)
        spdlog::warn("sd_notify failed: error {}", -r);
}

void systemd_notifier::ready(const std::string& status) const { send("READY=1\nSTATUS=" + status); }

void systemd_notifier::status(const std::string& status) const { send("STATUS=" + status); }

void systemd_notifier::reloading() const {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u +
                      static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
    send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
         "\nSTATUS=reloading the configuration");
}

void systemd_notifier::stopping() const { send("STOPPING=1\nSTATUS=draining"); }

void systemd_notifier::watchdog() const { send("WATCHDOG=1"); }

namespace {

/// The listening sockets passed for this pid, by FileDescriptorName=.
std::map<std::string, int> take_passed_sockets() {
    char** names = nullptr;
    const int count = sd_listen_fds_with_names(1, &names);
    if (count < 0) throw std::runtime_error("socket activation: cannot read LISTEN_FDS");
    std::map<std::string, int> out;
    std::string problem;
    for (int i = 0; i < count; ++i) {
        const int fd = SD_LISTEN_FDS_START + i;
        const std::string name = names && names[i] ? names[i] : "unknown";
        if (sd_is_socket(fd, AF_INET, SOCK_STREAM, 1) <= 0 &&
            sd_is_socket(fd, AF_INET6, SOCK_STREAM, 1) <= 0) {
            if (problem.empty())
                problem = "socket activation: the descriptor named \"" + name +
                          "\" is not a listening TCP socket";
        } else if (!out.emplace(name, fd).second && problem.empty()) {
            problem = "socket activation: two descriptors are named \"" + name + "\"";
        }
        if (names) std::free(names[i]);
    }
    std::free(static_cast<void*>(names));
    if (!problem.empty()) {
        for (const auto& [name, fd] : out) ::close(fd);
        throw std::runtime_error(problem);
    }
    return out;
}

}  // namespace

std::vector<int> passed_sockets_for(const std::vector<config::listener>& listeners) {
    auto passed = take_passed_sockets();
    std::vector<int> fds;
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        const auto& name = listeners[i].fd_name;
        if (name.empty()) {
            fds.push_back(-1);
            continue;
        }
        const auto it = passed.find(name);
        if (it == passed.end())
            throw std::runtime_error("listeners[" + std::to_string(i) + "].fd_name \"" + name +
                                     "\": no such socket was passed (socket activation: "
                                     "FileDescriptorName= in the .socket unit)");
        fds.push_back(it->second);
        passed.erase(it);
    }
    for (const auto& [name, fd] : passed) {
        spdlog::warn("socket activation: no listener has fd_name \"{}\"; closing it", name);
        ::close(fd);
    }
    return fds;
}

}  // namespace onymous::app
