#include "app/probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace onymous::app {
namespace {

using steady = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

/// A file descriptor closed on every path out.
class socket_fd {
public:
    explicit socket_fd(int fd) : fd_(fd) {}
    socket_fd(const socket_fd&) = delete;
    socket_fd& operator=(const socket_fd&) = delete;
    ~socket_fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_;
};

/// One address to try, in the form connect() takes.
struct endpoint {
    sockaddr_storage storage{};
    socklen_t length = 0;
};

endpoint make_endpoint(bool ipv6, const std::string& literal, std::uint16_t port) {
    endpoint e;
    if (ipv6) {
        auto& a = reinterpret_cast<sockaddr_in6&>(e.storage);
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(port);
        ::inet_pton(AF_INET6, literal.c_str(), &a.sin6_addr);
        e.length = sizeof a;
    } else {
        auto& a = reinterpret_cast<sockaddr_in&>(e.storage);
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        ::inet_pton(AF_INET, literal.c_str(), &a.sin_addr);
        e.length = sizeof a;
    }
    return e;
}

/// Why a probe failed: the rest of the stderr line after the URL.
struct failure {
    std::string what;
    /// The daemon answered (or the connection broke after connecting): no
    /// other address of `localhost` should be tried.
    bool reached = false;
};

/// Waits for `events` on `fd` until `deadline`; a failure on timeout.
std::optional<failure> wait_for(int fd, short events, steady::time_point deadline) {
    for (;;) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - steady::now()).count();
        if (left <= 0) break;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left));
        if (n > 0) return std::nullopt;  // ready, or an error the next call reports
        if (n < 0 && errno != EINTR) return failure{std::string("poll: ") + std::strerror(errno)};
    }
    return failure{"no answer within " + std::to_string(probe_timeout_ms / 1000) + " s"};
}

/// Connects a non-blocking socket to `to` by `deadline`.
std::optional<failure> connect_to(int fd, const endpoint& to, steady::time_point deadline) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to.storage), to.length) == 0)
        return std::nullopt;
    if (errno != EINPROGRESS && errno != EINTR)
        return failure{std::string("connect: ") + std::strerror(errno)};
    if (auto f = wait_for(fd, POLLOUT, deadline)) return f;
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) return failure{std::string("connect: ") + std::strerror(error)};
    return std::nullopt;
}

std::optional<failure> send_all(int fd, std::string_view data, steady::time_point deadline) {
    while (!data.empty()) {
        // MSG_NOSIGNAL: a peer that closed early is a failed probe, not SIGPIPE.
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (auto f = wait_for(fd, POLLOUT, deadline)) return f;
        } else if (errno != EINTR) {
            return failure{std::string("send: ") + std::strerror(errno)};
        }
    }
    return std::nullopt;
}

/// Reads until the status line is complete; the rest of the response is not
/// needed. A status line longer than this is not from our admin endpoint.
std::optional<failure> read_status_line(int fd, std::string& line, steady::time_point deadline) {
    constexpr std::size_t max_line = 1024;
    char buffer[512];
    for (;;) {
        if (const auto end = line.find("\r\n"); end != std::string::npos) {
            line.resize(end);
            return std::nullopt;
        }
        if (line.size() > max_line) return failure{"malformed response"};
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            line.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0) {
            return failure{"connection closed before a response"};
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (auto f = wait_for(fd, POLLIN, deadline)) return f;
        } else if (errno != EINTR) {
            return failure{std::string("recv: ") + std::strerror(errno)};
        }
    }
}

/// The status code of "HTTP/1.x SSS reason", or 0.
int status_of(std::string_view line) {
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return 0;
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') return 0;
        status = status * 10 + (line[i] - '0');
    }
    if (line.size() > 12 && line[12] != ' ') return 0;
    return status;
}

/// One GET on one address; nullopt when the answer was 200.
std::optional<failure> get_once(const endpoint& to, const std::string& request,
                                steady::time_point deadline) {
    const socket_fd fd(
        ::socket(to.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return failure{std::string("socket: ") + std::strerror(errno)};
    if (auto f = connect_to(fd.get(), to, deadline)) return f;
    std::string line;
    auto f = send_all(fd.get(), request, deadline);
    if (!f) f = read_status_line(fd.get(), line, deadline);
    if (!f) {
        const int status = status_of(line);
        if (status == 0)
            f = failure{"malformed response"};
        else if (status != 200)
            f = failure{"HTTP " + std::to_string(status)};
    }
    if (f) f->reached = true;
    return f;
}

}  // namespace

std::optional<probe_target> parse_probe_url(std::string_view url, std::string& reason) {
    constexpr std::string_view scheme = "http://";
    if (url.size() < scheme.size() || !iequals(url.substr(0, scheme.size()), scheme)) {
        reason = "only http:// URLs are probed (the admin endpoint is plain HTTP)";
        return std::nullopt;
    }
    url.remove_prefix(scheme.size());
    if (const auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
    const auto authority_end = url.find_first_of("/?");
    std::string_view authority = url.substr(0, authority_end);
    const std::string_view rest =
        authority_end == std::string_view::npos ? std::string_view{} : url.substr(authority_end);

    probe_target t;
    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            reason = "unterminated [IPv6 address]";
            return std::nullopt;
        }
        t.host = std::string(authority.substr(1, close - 1));
        t.ipv6 = true;
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                reason = "unexpected text after ]";
                return std::nullopt;
            }
            port_text = after.substr(1);
            has_port = true;
        }
        in6_addr scratch{};
        if (::inet_pton(AF_INET6, t.host.c_str(), &scratch) != 1) {
            reason = "not an IPv6 address literal";
            return std::nullopt;
        }
    } else {
        const auto colon = authority.find(':');
        t.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            has_port = true;
        }
        in_addr scratch{};
        if (!iequals(t.host, "localhost") && ::inet_pton(AF_INET, t.host.c_str(), &scratch) != 1) {
            reason = "the host must be an IPv4 literal, an [IPv6] literal or localhost";
            return std::nullopt;
        }
    }
    // RFC 3986 allows an empty port after the colon: the scheme's default.
    if (has_port && !port_text.empty()) {
        unsigned port = 0;
        for (const char c : port_text) {
            if (c < '0' || c > '9' || port > 65535) {
                reason = "bad port";
                return std::nullopt;
            }
            port = port * 10 + static_cast<unsigned>(c - '0');
        }
        if (port == 0 || port > 65535) {
            reason = "bad port";
            return std::nullopt;
        }
        t.port = static_cast<std::uint16_t>(port);
    }
    // The target goes into the request line as is: no white space or control
    // characters, which would end or split that line.
    for (const char c : rest) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) {
            reason = "white space or a control character in the path";
            return std::nullopt;
        }
    }
    // A query without a path ("http://h?x") asks for "/?x". Appending, not
    // "/" + string: g++ 12 -O3 warns falsely (-Wrestrict) on the latter.
    if (!rest.empty()) {
        t.target.clear();
        if (rest.front() == '?') t.target.push_back('/');
        t.target.append(rest);
    }
    return t;
}

int probe(std::string_view url) {
    // The URL is echoed in the one stderr line: keep that one line.
    std::string shown(url);
    for (char& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    std::string reason;
    const auto target = parse_probe_url(url, reason);
    if (!target) {
        std::fprintf(stderr, "onymousd: --probe %s: %s\n", shown.c_str(), reason.c_str());
        return probe_bad_url;
    }
    const auto deadline = steady::now() + std::chrono::milliseconds(probe_timeout_ms);

    // localhost means either loopback, whichever the daemon listens on.
    std::vector<endpoint> endpoints;
    if (iequals(target->host, "localhost")) {
        endpoints.push_back(make_endpoint(false, "127.0.0.1", target->port));
        endpoints.push_back(make_endpoint(true, "::1", target->port));
    } else {
        endpoints.push_back(make_endpoint(target->ipv6, target->host, target->port));
    }
    const std::string host_header = (target->ipv6 ? "[" + target->host + "]" : target->host) + ":" +
                                    std::to_string(target->port);
    const std::string request = "GET " + target->target + " HTTP/1.1\r\nHost: " + host_header +
                                "\r\nUser-Agent: onymousd-probe\r\nConnection: close\r\n\r\n";

    std::optional<failure> last;
    for (const auto& e : endpoints) {
        last = get_once(e, request, deadline);
        if (!last) return probe_healthy;
        if (last->reached || steady::now() >= deadline) break;
    }
    std::fprintf(stderr, "onymousd: probe %s: %s\n", shown.c_str(), last->what.c_str());
    return probe_unhealthy;
}

}  // namespace onymous::app
