#include "proc_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace onymous::bench {

namespace {

std::string proc_path(pid_t pid, const char* leaf) {
    return "/proc/" + std::to_string(pid) + "/" + leaf;
}

}  // namespace

std::optional<std::uint64_t> resident_kib(pid_t pid) {
    std::ifstream status(proc_path(pid, "status"));
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) != 0) continue;
        std::istringstream fields(line.substr(6));
        std::uint64_t kib = 0;
        if (fields >> kib) return kib;
    }
    return std::nullopt;
}

std::optional<double> cpu_seconds(pid_t pid) {
    std::ifstream stat(proc_path(pid, "stat"));
    const std::string text((std::istreambuf_iterator<char>(stat)),
                           std::istreambuf_iterator<char>());
    // The command name may hold spaces and parentheses: fields count from
    // the last ')'. After it: state (3), ..., utime (14), stime (15).
    const std::size_t close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text.substr(close + 1));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    for (int number = 3; number <= 15 && (fields >> field); ++number) {
        if (number == 14) utime = std::stoull(field);
        if (number == 15) stime = std::stoull(field);
    }
    if (!fields) return std::nullopt;
    static const long ticks = ::sysconf(_SC_CLK_TCK);
    return static_cast<double>(utime + stime) / static_cast<double>(ticks);
}

std::optional<std::uint64_t> open_descriptors(pid_t pid) {
    std::error_code ec;
    std::filesystem::directory_iterator it(proc_path(pid, "fd"), ec);
    if (ec) return std::nullopt;
    std::uint64_t count = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (ec) return std::nullopt;
        ++count;
    }
    return count;
}

double own_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

cpu_meter::cpu_meter(std::vector<pid_t> pids) {
    for (pid_t pid : pids)
        if (pid > 0) pids_.push_back(pid);
}

std::optional<double> cpu_meter::sample() const {
    if (pids_.empty()) return std::nullopt;
    double sum = 0;
    for (pid_t pid : pids_) {
        const auto seconds = cpu_seconds(pid);
        if (!seconds) return std::nullopt;
        sum += *seconds;
    }
    return sum;
}

void cpu_meter::start() {
    own_start_ = own_cpu_seconds();
    start_ = sample();
}

void cpu_meter::stop() {
    stop_ = sample();
    own_stop_ = own_cpu_seconds();
}

}  // namespace onymous::bench
