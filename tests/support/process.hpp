#pragma once
// Child processes for end-to-end tests: posix_spawn, output to files, and a
// bounded wait, so that a hung daemon fails a test instead of hanging it.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace onymous::test {

using clock_type = std::chrono::steady_clock;

/// How a finished child ended.
struct exit_status {
    int code = -1;   ///< exit code, or -1 when killed by a signal
    int signal = 0;  ///< the signal that killed it, or 0

    bool exited_with(int expected) const { return signal == 0 && code == expected; }
    std::string describe() const;
};

/// Starts `argv` (argv[0] is the executable's path) with stdin from /dev/null
/// and stdout/stderr appended to the given files, in `cwd` when not empty.
/// Throws std::runtime_error when the spawn fails.
pid_t spawn_process(const std::vector<std::string>& argv, const std::filesystem::path& stdout_path,
                    const std::filesystem::path& stderr_path,
                    const std::filesystem::path& cwd = {});

/// Reaps `pid` if it has exited by `deadline` (polling, never blocking past it).
std::optional<exit_status> wait_process(pid_t pid, clock_type::time_point deadline);

/// Sends `sig`, waits up to `grace`, then SIGKILLs and reaps.
exit_status stop_process(pid_t pid, int sig, std::chrono::milliseconds grace);

/// What a process run to completion printed and how it ended.
struct process_result {
    exit_status status;
    std::string out;
    std::string err;
    bool timed_out = false;  ///< it was killed after the timeout
};

/// Runs `argv` to completion, killing it after `timeout`.
process_result run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::filesystem::path& cwd = {});

}  // namespace onymous::test
