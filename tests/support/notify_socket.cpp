#include "notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace onymous::test {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), "notify socket: " + what);
}

/// Parses "KEY=VALUE\nKEY=VALUE..." as sd_notify(3) defines it: one
/// assignment per line, an optional final newline. Anything else is a defect
/// of the sender, so it throws.
std::vector<std::pair<std::string, std::string>> parse_assignments(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> fields;
    std::size_t at = 0;
    while (at < text.size()) {
        auto end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(at, end - at);
        const auto equals = line.find('=');
        if (equals == std::string::npos || equals == 0)
            throw std::runtime_error("notify socket: not a KEY=VALUE line: \"" + line +
                                     "\" in datagram \"" + text + "\"");
        fields.emplace_back(line.substr(0, equals), line.substr(equals + 1));
        at = end + 1;
    }
    return fields;
}

}  // namespace

bool notify_message::has(std::string_view key) const { return value(key).has_value(); }

std::optional<std::string> notify_message::value(std::string_view key) const {
    std::optional<std::string> found;
    for (const auto& [name, value] : fields)
        if (name == key) found = value;
    return found;
}

bool notify_message::is(std::string_view key, std::string_view expected) const {
    const auto found = value(key);
    return found && *found == expected;
}

long long monotonic_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

notify_socket::notify_socket() : path_(dir_.file("notify.sock")) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.native().size() >= sizeof(address.sun_path))
        throw std::runtime_error("notify socket path too long: " + path_.string());
    std::memcpy(address.sun_path, path_.c_str(), path_.native().size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail("socket");
    const int on = 1;
    if (::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
        ::close(fd_);
        fail("SO_PASSCRED");
    }
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd_);
        fail("bind " + path_.string());
    }
}

notify_socket::~notify_socket() {
    if (fd_ >= 0) ::close(fd_);
}

std::optional<notify_message> notify_socket::receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd waiting{fd_, POLLIN, 0};
        const int ready =
            ::poll(&waiting, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) fail("poll");
        if (ready == 0) return std::nullopt;

        // sd_notify's datagrams are small; systemd itself reads at most 4 KiB.
        char buffer[4096];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
        iovec io{buffer, sizeof buffer};
        msghdr header{};
        header.msg_iov = &io;
        header.msg_iovlen = 1;
        header.msg_control = control;
        header.msg_controllen = sizeof control;
        const ssize_t size = ::recvmsg(fd_, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (size < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (size < 0) fail("recvmsg");
        if ((header.msg_flags & MSG_TRUNC) != 0)
            throw std::runtime_error("notify socket: a datagram over 4096 bytes");

        notify_message message;
        message.received = std::chrono::steady_clock::now();
        message.received_monotonic_usec = monotonic_usec();
        message.text.assign(buffer, static_cast<std::size_t>(size));
        for (cmsghdr* item = CMSG_FIRSTHDR(&header); item != nullptr;
             item = CMSG_NXTHDR(&header, item)) {
            if (item->cmsg_level == SOL_SOCKET && item->cmsg_type == SCM_CREDENTIALS) {
                ucred credentials{};
                std::memcpy(&credentials, CMSG_DATA(item), sizeof credentials);
                message.pid = credentials.pid;
                message.uid = credentials.uid;
                message.gid = credentials.gid;
            } else if (item->cmsg_level == SOL_SOCKET && item->cmsg_type == SCM_RIGHTS) {
                // Descriptors (FDSTORE=1) are not expected; never leak them.
                const auto count = (item->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (std::size_t i = 0; i < count; ++i) {
                    int passed = -1;
                    std::memcpy(&passed, CMSG_DATA(item) + i * sizeof(int), sizeof passed);
                    ::close(passed);
                }
            }
        }
        message.fields = parse_assignments(message.text);
        history_.push_back(message);
        return message;
    }
}

std::optional<notify_message> notify_socket::wait_for(
    const std::function<bool(const notify_message&)>& match, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto message = receive(std::max(left, std::chrono::milliseconds(0)));
        if (!message) return std::nullopt;
        if (match(*message)) return message;
    }
}

std::optional<notify_message> notify_socket::wait_for(std::string_view key, std::string_view value,
                                                      std::chrono::milliseconds timeout) {
    return wait_for([&](const notify_message& message) { return message.is(key, value); }, timeout);
}

}  // namespace onymous::test
