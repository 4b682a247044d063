#include "daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

extern char** environ;

#ifndef ONYMOUSD_PATH
#error "ONYMOUSD_PATH must name the onymousd binary"
#endif

namespace onymous::test {

namespace {

constexpr const char* setpriv_path = "/usr/bin/setpriv";

std::vector<std::string> daemon_argv(const std::filesystem::path& config,
                                     const std::filesystem::path& ready) {
    std::vector<std::string> argv{daemon_binary(), "--config", config.string(), "--ready-file",
                                  ready.string()};
    // If this test process dies without running destructors (an abort, a
    // crash), the daemon must not outlive it: util-linux's setpriv sets the
    // parent-death signal and then execs the daemon under the same pid.
    if (::access(setpriv_path, X_OK) == 0)
        argv.insert(argv.begin(), {setpriv_path, "--pdeathsig", "KILL", "--"});
    return argv;
}

/// A descriptor owned until the end of a scope.
class owned_fd {
public:
    explicit owned_fd(int fd) : fd_(fd) {}
    ~owned_fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    owned_fd(const owned_fd&) = delete;
    owned_fd& operator=(const owned_fd&) = delete;
    owned_fd(owned_fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    int get() const { return fd_; }

private:
    int fd_;
};

/// A close-on-exec copy of `fd` numbered above every descriptor the child is
/// given (0..2 and 3..3+n), so that the child's dup2 calls never overwrite a
/// source they still need.
owned_fd high_copy(int fd, const char* what) {
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 100);
    if (copy < 0)
        throw std::system_error(errno, std::generic_category(), std::string("dup ") + what);
    return owned_fd(copy);
}

owned_fd open_high(const std::filesystem::path& path, int flags, const char* what) {
    owned_fd opened(::open(path.c_str(), flags | O_CLOEXEC, 0644));
    if (opened.get() < 0)
        throw std::system_error(errno, std::generic_category(), "open " + path.string());
    return high_copy(opened.get(), what);
}

bool inherited_here(std::string_view entry) {
    // The service manager's variables come only from the test, never from
    // whatever runs the tests (which might itself be a systemd service);
    // so do the allocator's settings, which a test checks.
    for (const std::string_view prefix :
         {"NOTIFY_SOCKET=", "WATCHDOG_", "LISTEN_", "ONYMOUS_TEST_",
          "GLIBC_TUNABLES=", "ONYMOUS_KEEP_MALLOC=", "ONYMOUS_MALLOC_TUNED="})
        if (entry.substr(0, prefix.size()) == prefix) return false;
    return true;
}

/// fork and exec with the descriptors and environment of `launch`. Everything
/// the child needs is prepared before the fork: between fork and exec it
/// calls only async-signal-safe functions (this process has threads).
pid_t spawn_launched(const std::vector<std::string>& argv, const launch_options& launch,
                     const std::filesystem::path& stdout_path,
                     const std::filesystem::path& stderr_path) {
    const auto in = open_high("/dev/null", O_RDONLY, "stdin");
    const auto out = open_high(stdout_path, O_WRONLY | O_CREAT | O_APPEND, "stdout");
    const auto err = open_high(stderr_path, O_WRONLY | O_CREAT | O_APPEND, "stderr");
    std::vector<owned_fd> passed;
    for (const int fd : launch.pass_fds) passed.push_back(high_copy(fd, "passed descriptor"));

    std::vector<std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        if (!inherited_here(text)) continue;
        const auto name = text.substr(0, text.find('='));
        bool replaced = false;
        for (const auto& [key, value] : launch.environment) replaced = replaced || key == name;
        if (!replaced) env.emplace_back(text);
    }
    for (const auto& [key, value] : launch.environment)
        if (!(launch.listen_pid_is_child && key == "LISTEN_PID")) env.push_back(key + "=" + value);
    // "LISTEN_PID=" and room for any pid's digits, filled in by the child.
    constexpr std::string_view listen_pid_prefix = "LISTEN_PID=";
    std::string listen_pid(listen_pid_prefix.size() + 24, '\0');
    listen_pid.replace(0, listen_pid_prefix.size(), listen_pid_prefix);

    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env) envp.push_back(entry.data());
    if (launch.listen_pid_is_child) envp.push_back(listen_pid.data());
    envp.push_back(nullptr);
    std::vector<int> sources;
    for (const auto& fd : passed) sources.push_back(fd.get());

    const pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        // dup2 leaves the new descriptors without FD_CLOEXEC: they survive exec.
        if (::dup2(in.get(), STDIN_FILENO) < 0 || ::dup2(out.get(), STDOUT_FILENO) < 0 ||
            ::dup2(err.get(), STDERR_FILENO) < 0)
            ::_exit(126);
        for (std::size_t i = 0; i < sources.size(); ++i)
            if (::dup2(sources[i], 3 + static_cast<int>(i)) < 0) ::_exit(126);
        if (launch.listen_pid_is_child) {
            // The pid's decimal digits, by hand: snprintf is not async-signal-safe.
            char digits[24];
            int count = 0;
            for (auto value = static_cast<unsigned long>(::getpid()); value != 0; value /= 10)
                digits[count++] = static_cast<char>('0' + value % 10);
            char* at = listen_pid.data() + listen_pid_prefix.size();
            while (count > 0) *at++ = digits[--count];
            *at = '\0';
        }
        ::execve(args[0], args.data(), envp.data());
        ::_exit(127);
    }
    return pid;
}

}  // namespace

std::string daemon_binary() {
    if (const char* path = std::getenv("ONYMOUSD_BINARY"); path != nullptr && *path != '\0')
        return path;
    return ONYMOUSD_PATH;
}

daemon_process::daemon_process(std::initializer_list<config_override> overrides)
    : config_(base_config()) {
    apply_overrides(config_, std::vector<config_override>(overrides));
    config_path_ = dir_.write("onymousd.yaml", to_yaml(config_));
    ready_path_ = dir_.file("ready.json");
    log_path_ = dir_.file("stderr.log");
    pid_ =
        spawn_process(daemon_argv(config_path_, ready_path_), dir_.file("stdout.log"), log_path_);
    try {
        wait_ready(daemon_start_timeout);
    } catch (...) {
        stop(std::chrono::seconds(2));
        throw;
    }
}

daemon_process::daemon_process(const launch_options& launch,
                               std::initializer_list<config_override> overrides)
    : daemon_process(launch, std::vector<config_override>(overrides)) {}

daemon_process::daemon_process(const launch_options& launch,
                               const std::vector<config_override>& overrides)
    : config_(base_config()) {
    apply_overrides(config_, overrides);
    config_path_ = dir_.write("onymousd.yaml", to_yaml(config_));
    ready_path_ = dir_.file("ready.json");
    log_path_ = dir_.file("stderr.log");
    pid_ = spawn_launched(daemon_argv(config_path_, ready_path_), launch, dir_.file("stdout.log"),
                          log_path_);
    if (!launch.wait_ready) return;
    try {
        wait_ready(daemon_start_timeout);
    } catch (...) {
        stop(std::chrono::seconds(2));
        throw;
    }
}

daemon_process::~daemon_process() { stop(); }

void daemon_process::await_ready(std::chrono::milliseconds timeout) {
    if (ready_) return;
    wait_ready(timeout);
}

void daemon_process::wait_ready(std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    for (;;) {
        // The daemon renames a complete file into place, so a readable file
        // is a whole one; a parse failure is still retried until the deadline.
        const std::string text = read_file(ready_path_);
        if (!text.empty()) {
            const auto ready = nlohmann::json::parse(text, nullptr, false);
            if (!ready.is_discarded() && ready.contains("listeners") && ready.contains("admin")) {
                for (const auto& entry : ready.at("listeners"))
                    listeners_.push_back({entry.at("address").get<std::string>(),
                                          entry.at("port").get<std::uint16_t>(),
                                          entry.at("tls").get<bool>()});
                admin_port_ = ready.at("admin").at("port").get<std::uint16_t>();
                ready_ = true;
                return;
            }
        }
        if (auto status = wait_process(pid_, clock_type::now())) {
            status_ = status;
            throw std::runtime_error("onymousd exited before it was ready (" + status->describe() +
                                     "); config " + config_path_.string() + ", stderr:\n" + log());
        }
        if (clock_type::now() >= deadline)
            throw std::runtime_error("onymousd not ready within " +
                                     std::to_string(timeout.count()) + " ms; stderr:\n" + log());
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::uint16_t daemon_process::tls_port() const {
    for (const auto& entry : listeners_)
        if (entry.tls) return entry.port;
    throw std::logic_error("no TLS listener in this daemon's config");
}

std::uint16_t daemon_process::plain_port() const {
    for (const auto& entry : listeners_)
        if (!entry.tls) return entry.port;
    throw std::logic_error("no plain listener in this daemon's config");
}

std::string daemon_process::log() const { return read_file(log_path_); }

exit_status daemon_process::stop(std::chrono::milliseconds grace, int signal) {
    static_assert(SIGTERM == 15, "the default argument of stop() is SIGTERM");
    if (!status_) status_ = stop_process(pid_, signal, grace);
    return *status_;
}

std::optional<exit_status> daemon_process::wait_exit(std::chrono::milliseconds timeout) {
    if (!status_) status_ = wait_process(pid_, clock_type::now() + timeout);
    return status_;
}

}  // namespace onymous::test
