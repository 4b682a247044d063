#include "app/malloc_tuning.hpp"

#include <sys/auxv.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <string_view>

namespace onymous::app {

// Why the tcache goes. Each thread's tcache keeps up to 7 freed blocks of
// each of 64 sizes for its next allocations, and glibc counts them as in
// use: malloc_trim cannot give back the pages they sit on. After a load
// spike those blocks are scattered over the whole heap, about one per page:
// after 200 churning clients left, the main thread's heap (worker 0's) kept
// 860 KiB more than before them, malloc_trim or not; with the tcache off it
// kept 76 KiB, and churn pairings/s and CPU per pairing did not move beyond
// the machine's noise (docs/performance.md, Memory: what a spike leaves).
void tune_malloc(char** argv) {
#ifdef __GLIBC__
    constexpr std::string_view tunable = "glibc.malloc.tcache_count";
    constexpr const char* started_again = "ONYMOUS_MALLOC_TUNED";
    if (std::getenv("ONYMOUS_KEEP_MALLOC") != nullptr) return;  // the operator's choice
    // Once only: if the tunable did not survive the exec, running again
    // would not change that.
    if (std::getenv(started_again) != nullptr) return;
    // A setuid binary, or one with file capabilities (setcap for port 443),
    // has glibc erase this tunable at start-up.
    if (::getauxval(AT_SECURE) != 0) return;
    const char* current = std::getenv("GLIBC_TUNABLES");
    const std::string tunables = current != nullptr ? current : "";
    if (tunables.find(tunable) != std::string::npos) return;  // set already: ours or theirs
    const std::string extended =
        (tunables.empty() ? "" : tunables + ":") + std::string(tunable) + "=0";
    if (::setenv("GLIBC_TUNABLES", extended.c_str(), 1) != 0 ||
        ::setenv(started_again, "1", 1) != 0)
        return;
    // Same process, same pid, same descriptors (socket activation's
    // LISTEN_PID still names it); only the allocator starts afresh. By the
    // binary's own path, not /proc/self/exe, whose name would become the
    // process's (ps, top and the journal would say "exe").
    char path[PATH_MAX];
    const auto length = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (length > 0) {
        path[length] = '\0';
        ::execv(path, argv);
    }
    // Not reached unless the exec failed (no /proc, a seccomp filter, the
    // binary replaced since it started): run as we are.
    if (current != nullptr)
        ::setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
    else
        ::unsetenv("GLIBC_TUNABLES");
    ::unsetenv(started_again);
#else
    (void)argv;
#endif
}

}  // namespace onymous::app
