#include "tcp_floor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace onymous::bench {

namespace {

/// A descriptor closed at the end of its scope.
struct socket_fd {
    int fd = -1;
    explicit socket_fd(int f) : fd(f) {}
    ~socket_fd() {
        if (fd >= 0) ::close(fd);
    }
    socket_fd(const socket_fd&) = delete;
    socket_fd& operator=(const socket_fd&) = delete;
};

bool transfer_all(int fd, char* data, std::size_t size, bool sending) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = sending ? ::send(fd, data + done, size - done, MSG_NOSIGNAL)
                                  : ::recv(fd, data + done, size - done, 0);
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

void no_delay(int fd) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

tcp_floor measure_tcp_floor(std::size_t bytes, std::size_t rounds, int echo_cpu) {
    tcp_floor result;
    bytes = std::max<std::size_t>(bytes, 1);
    socket_fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener.fd < 0 ||
        ::bind(listener.fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener.fd, 1) != 0 ||
        ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        result.error = std::string("listen: ") + std::strerror(errno);
        return result;
    }
    constexpr std::size_t warm_up = 500;
    const std::size_t total = warm_up + rounds;
    std::thread echo([&listener, bytes, total, echo_cpu] {
        if (echo_cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(echo_cpu, &set);
            ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
        }
        socket_fd peer(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
        if (peer.fd < 0) return;
        no_delay(peer.fd);
        std::vector<char> buffer(bytes);
        for (std::size_t i = 0; i < total; ++i) {
            if (!transfer_all(peer.fd, buffer.data(), bytes, false)) return;
            if (!transfer_all(peer.fd, buffer.data(), bytes, true)) return;
        }
    });
    socket_fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (client.fd < 0 || ::connect(client.fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
        result.error = std::string("connect: ") + std::strerror(errno);
        ::shutdown(listener.fd, SHUT_RDWR);
        echo.join();
        return result;
    }
    no_delay(client.fd);
    std::vector<char> buffer(bytes, 'x');
    for (std::size_t i = 0; i < total; ++i) {
        const auto sent = std::chrono::steady_clock::now();
        if (!transfer_all(client.fd, buffer.data(), bytes, true) ||
            !transfer_all(client.fd, buffer.data(), bytes, false)) {
            result.error = std::string("ping-pong: ") + std::strerror(errno);
            break;
        }
        const auto round_trip = std::chrono::steady_clock::now() - sent;
        if (i >= warm_up)
            result.one_way.record(static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(round_trip).count() / 2));
    }
    ::shutdown(client.fd, SHUT_RDWR);
    echo.join();
    return result;
}

}  // namespace onymous::bench
