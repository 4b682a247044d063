#pragma once
// The server's resources as Linux shows them in /proc/PID: resident memory
// (status VmRSS), CPU time of all its threads (stat utime + stime, in clock
// ticks of sysconf(_SC_CLK_TCK)) and open descriptors (fd/).

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace onymous::bench {

/// VmRSS in KiB; nullopt when the process is gone or unreadable.
std::optional<std::uint64_t> resident_kib(pid_t pid);
/// utime + stime in seconds (10 ms resolution with the usual 100 Hz ticks).
std::optional<double> cpu_seconds(pid_t pid);
/// Entries of /proc/PID/fd.
std::optional<std::uint64_t> open_descriptors(pid_t pid);

/// User + system CPU seconds this process (the generator) has used so far.
double own_cpu_seconds();

/// CPU seconds of the server between two samples, which the scenarios divide
/// by their counts (nothing when pid <= 0), and of the generator itself, to
/// show when the generator rather than the server was the limit. Several
/// pids (the nodes of a cluster) are summed; one unreadable spoils the sum.
class cpu_meter {
public:
    explicit cpu_meter(pid_t pid) : cpu_meter(std::vector<pid_t>{pid}) {}
    explicit cpu_meter(std::vector<pid_t> pids);
    void start();
    void stop();
    bool valid() const { return start_.has_value() && stop_.has_value(); }
    double seconds() const { return valid() ? *stop_ - *start_ : 0.0; }
    double own_seconds() const { return own_stop_ - own_start_; }

private:
    std::optional<double> sample() const;

    std::vector<pid_t> pids_;
    std::optional<double> start_;
    std::optional<double> stop_;
    double own_start_ = 0;
    double own_stop_ = 0;
};

}  // namespace onymous::bench
