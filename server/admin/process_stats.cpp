#include "admin/process_stats.hpp"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace onymous::admin {

namespace {

/// Unix time of `start_ticks` (clock ticks since boot). From the clocks,
/// not /proc/stat's btime: the unit's ProcSubset=pid hides /proc/stat.
double unix_time_of_boot_ticks(std::uint64_t start_ticks, double ticks_per_second) {
    timespec real{}, boot{};
    clock_gettime(CLOCK_REALTIME, &real);
    clock_gettime(CLOCK_BOOTTIME, &boot);
    const double since_boot = static_cast<double>(boot.tv_sec) + boot.tv_nsec / 1e9;
    const double now = static_cast<double>(real.tv_sec) + real.tv_nsec / 1e9;
    return now - since_boot + static_cast<double>(start_ticks) / ticks_per_second;
}

}  // namespace

process_stats read_process_stats() {
    process_stats out;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++out.open_fds;
    if (out.open_fds > 0) --out.open_fds;  // the iterator's own descriptor

    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) out.max_fds = limit.rlim_cur;

    const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    std::uint64_t size_pages = 0;
    std::uint64_t resident_pages = 0;
    if (std::ifstream("/proc/self/statm") >> size_pages >> resident_pages)
        out.resident_bytes = resident_pages * page;

    // Fields after the command name, which may hold spaces: start past ')'.
    std::ifstream stat_file("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
    const auto close = stat.rfind(')');
    if (close != std::string::npos) {
        std::istringstream fields(stat.substr(close + 2));
        std::string field;
        std::uint64_t utime = 0, stime = 0, start = 0;
        // Field 3 (state) is the first here; utime is 14, stime 15, starttime 22.
        for (int n = 3; n <= 22 && fields >> field; ++n) {
            if (n == 14) utime = std::stoull(field);
            if (n == 15) stime = std::stoull(field);
            if (n == 22) start = std::stoull(field);
        }
        const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
        out.cpu_seconds = static_cast<double>(utime + stime) / ticks;
        out.start_time_seconds = unix_time_of_boot_ticks(start, ticks);
    }
    return out;
}

}  // namespace onymous::admin
