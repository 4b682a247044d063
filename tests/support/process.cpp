#include "process.hpp"

#include "temp_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace onymous::test {

namespace {

exit_status decode(int raw) {
    exit_status status;
    if (WIFEXITED(raw))
        status.code = WEXITSTATUS(raw);
    else if (WIFSIGNALED(raw))
        status.signal = WTERMSIG(raw);
    return status;
}

// posix_spawn's file actions are a C resource with a C destructor.
class file_actions {
public:
    file_actions() { ::posix_spawn_file_actions_init(&actions_); }
    ~file_actions() { ::posix_spawn_file_actions_destroy(&actions_); }
    file_actions(const file_actions&) = delete;
    file_actions& operator=(const file_actions&) = delete;
    posix_spawn_file_actions_t* get() { return &actions_; }

private:
    posix_spawn_file_actions_t actions_{};
};

}  // namespace

std::string exit_status::describe() const {
    if (signal != 0)
        return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
    return "exit code " + std::to_string(code);
}

pid_t spawn_process(const std::vector<std::string>& argv, const std::filesystem::path& stdout_path,
                    const std::filesystem::path& stderr_path, const std::filesystem::path& cwd) {
    if (argv.empty()) throw std::invalid_argument("spawn_process: empty argv");
    file_actions actions;
    const int append = O_WRONLY | O_CREAT | O_APPEND;
    ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, stdout_path.c_str(), append,
                                       0644);
    ::posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, stderr_path.c_str(), append,
                                       0644);
    if (!cwd.empty()) ::posix_spawn_file_actions_addchdir_np(actions.get(), cwd.c_str());

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    pid_t pid = 0;
    const int rc =
        ::posix_spawn(&pid, argv[0].c_str(), actions.get(), nullptr, args.data(), environ);
    if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

std::optional<exit_status> wait_process(pid_t pid, clock_type::time_point deadline) {
    for (;;) {
        int raw = 0;
        const pid_t done = ::waitpid(pid, &raw, WNOHANG);
        if (done == pid) return decode(raw);
        if (done < 0 && errno != EINTR)
            throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
        if (clock_type::now() >= deadline) return std::nullopt;
        // A child has no descriptor to wait on: poll its state at a short step.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

exit_status stop_process(pid_t pid, int sig, std::chrono::milliseconds grace) {
    ::kill(pid, sig);
    if (auto status = wait_process(pid, clock_type::now() + grace)) return *status;
    ::kill(pid, SIGKILL);
    int raw = 0;
    while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
    }
    return decode(raw);
}

process_result run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::filesystem::path& cwd) {
    temp_dir scratch;
    const auto out_path = scratch.file("stdout");
    const auto err_path = scratch.file("stderr");
    process_result result;
    const pid_t pid = spawn_process(argv, out_path, err_path, cwd);
    if (auto status = wait_process(pid, clock_type::now() + timeout)) {
        result.status = *status;
    } else {
        result.timed_out = true;
        result.status = stop_process(pid, SIGKILL, std::chrono::milliseconds(0));
    }
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    return result;
}

}  // namespace onymous::test
