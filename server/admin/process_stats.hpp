#pragma once
// The process's own resources for /metrics, read from /proc/self the way
// Prometheus client libraries name them (process_*).

#include <cstdint>

namespace onymous::admin {

struct process_stats {
    std::uint64_t open_fds = 0;
    std::uint64_t max_fds = 0;
    std::uint64_t resident_bytes = 0;
    double cpu_seconds = 0;
    double start_time_seconds = 0;  ///< Unix time
};

/// Missing pieces (a /proc without them) are left at 0.
process_stats read_process_stats();

}  // namespace onymous::admin
