#include "redis_server.hpp"

#include "process.hpp"
#include "temp_dir.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#ifndef ONYMOUS_REDIS_SERVER
#define ONYMOUS_REDIS_SERVER "/usr/bin/redis-server"
#endif
#ifndef ONYMOUS_REDIS_CLI
#define ONYMOUS_REDIS_CLI "/usr/bin/redis-cli"
#endif

namespace onymous::test {

namespace {

using namespace std::chrono_literals;

constexpr auto state_change_bound = 10s;
constexpr int port_attempts = 5;

/// A socket descriptor, closed on scope exit.
class descriptor {
public:
    explicit descriptor(int fd) : fd_(fd) {}
    ~descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    descriptor(const descriptor&) = delete;
    descriptor& operator=(const descriptor&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

/// Whether something on 127.0.0.1:port answers PING with a RESP line (an
/// error such as NOAUTH counts: it is up).
bool answers(std::uint16_t port) {
    descriptor fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return false;
    timeval bound{1, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    const sockaddr_in address = loopback(port);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        return false;
    constexpr std::string_view ping = "PING\r\n";
    if (::send(fd.get(), ping.data(), ping.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(ping.size()))
        return false;
    char first = 0;
    return ::recv(fd.get(), &first, 1, 0) == 1 && (first == '+' || first == '-');
}

void wait_for_state(pid_t pid, int options, const char* what) {
    for (;;) {
        int raw = 0;
        const pid_t done = ::waitpid(pid, &raw, options);
        if (done == pid) return;
        if (done < 0 && errno == EINTR) continue;
        throw std::runtime_error(std::string("redis-server: waitpid for ") + what + ": " +
                                 std::strerror(errno));
    }
}

/// Starts `argv` with its output appended to `log`, and with SIGKILL as its
/// parent-death signal: a test binary that crashes (or an ASan abort) leaves
/// no redis-server behind. posix_spawn cannot set that, hence fork and exec;
/// between them only async-signal-safe calls.
pid_t spawn_tied(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const std::string log_path = log.string();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    if (pid == 0) {
        // Killed with the thread that forked it; and at once if that is already gone.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(126);
        const int in = ::open("/dev/null", O_RDONLY);
        const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (in < 0 || out < 0 || ::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
            ::dup2(out, STDERR_FILENO) < 0)
            ::_exit(126);
        // Nothing of the test's: a client socket it held would outlive the client's close.
        ::close_range(3, ~0U, 0);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

}  // namespace

std::uint16_t free_port() {
    descriptor fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
        throw std::runtime_error("bind 127.0.0.1:0: " + std::string(std::strerror(errno)));
    return ntohs(address.sin_port);
}

redis_server::redis_server(settings how)
    : how_(std::move(how)), dir_(std::make_unique<temp_dir>()) {
    if (how_.port != 0) {
        port_ = how_.port;
        if (!launch())
            throw std::runtime_error("redis-server did not start on port " + std::to_string(port_) +
                                     ":\n" + log());
        return;
    }
    // Another process may take the port between free_port() and redis's bind.
    for (int attempt = 0; attempt < port_attempts; ++attempt) {
        port_ = free_port();
        if (launch()) return;
    }
    throw std::runtime_error("redis-server did not start:\n" + log());
}

redis_server::redis_server() : redis_server(settings{}) {}

redis_server::~redis_server() {
    if (running()) kill();
}

bool redis_server::launch() {
    std::vector<std::string> argv = {ONYMOUS_REDIS_SERVER,
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_->path().string(),
                                     "--unixsocket",
                                     unix_socket().string(),
                                     "--unixsocketperm",
                                     "700",
                                     "--daemonize",
                                     "no",
                                     "--logfile",
                                     "",
                                     "--enable-debug-command",
                                     "local"};
    if (!how_.password.empty()) {
        argv.emplace_back("--requirepass");
        argv.push_back(how_.password);
    }
    argv.insert(argv.end(), how_.extra_args.begin(), how_.extra_args.end());
    if (::access(argv[0].c_str(), X_OK) != 0)
        throw std::runtime_error(argv[0] + " not found: apt-get install redis-server");
    pid_ = spawn_tied(argv, dir_->file("redis.log"));

    // Polled: a child's readiness has no descriptor to wait on.
    const auto deadline = clock_type::now() + state_change_bound;
    while (clock_type::now() < deadline) {
        if (auto status = wait_process(pid_, clock_type::now())) {
            pid_ = -1;  // exited: typically "Address already in use"
            return false;
        }
        if (answers(port_)) return true;
        std::this_thread::sleep_for(5ms);
    }
    kill();
    throw std::runtime_error("redis-server did not answer within 10 s:\n" + log());
}

void redis_server::start() {
    if (running()) throw std::logic_error("redis_server::start: already running");
    if (!launch())
        throw std::runtime_error("redis-server did not start again on port " +
                                 std::to_string(port_) + ":\n" + log());
}

void redis_server::stop() {
    if (!running()) return;
    ::kill(pid_, SIGCONT);  // a paused one cannot handle SIGTERM
    stop_process(pid_, SIGTERM,
                 std::chrono::duration_cast<std::chrono::milliseconds>(state_change_bound));
    pid_ = -1;
}

void redis_server::kill() {
    if (!running()) return;
    stop_process(pid_, SIGKILL, std::chrono::milliseconds(0));
    pid_ = -1;
}

void redis_server::restart() {
    kill();
    start();
}

void redis_server::pause() {
    if (!running()) throw std::logic_error("redis_server::pause: not running");
    ::kill(pid_, SIGSTOP);
    wait_for_state(pid_, WUNTRACED, "SIGSTOP");
}

void redis_server::resume() {
    if (!running()) throw std::logic_error("redis_server::resume: not running");
    ::kill(pid_, SIGCONT);
    wait_for_state(pid_, WCONTINUED, "SIGCONT");
}

std::filesystem::path redis_server::unix_socket() const { return dir_->file("redis.sock"); }

redis::endpoint redis_server::endpoint() const {
    redis::endpoint where;
    where.host = "127.0.0.1";
    where.port = port_;
    where.password = how_.password;
    return where;
}

redis::endpoint redis_server::unix_endpoint() const {
    redis::endpoint where;
    where.unix_path = unix_socket().string();
    return where;
}

std::string redis_server::url() const {
    std::string auth = how_.password.empty() ? "" : ":" + how_.password + "@";
    return "redis://" + auth + "127.0.0.1:" + std::to_string(port_);
}

std::string redis_server::cli(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {ONYMOUS_REDIS_CLI, "-h", "127.0.0.1", "-p",
                                     std::to_string(port_)};
    if (!how_.password.empty()) {
        argv.insert(argv.end(), {"--no-auth-warning", "-a", how_.password});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    const process_result result = run_process(argv, std::chrono::milliseconds(10000));
    if (result.timed_out || !result.status.exited_with(0))
        throw std::runtime_error("redis-cli failed (" + result.status.describe() +
                                 "): " + result.err);
    std::string out = result.out;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

std::string redis_server::log() const { return read_file(dir_->file("redis.log")); }

}  // namespace onymous::test
