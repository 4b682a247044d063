#pragma once
// The allocator settings onymousd runs with, chosen before the daemon starts.

namespace onymous::app {

/// Makes sure glibc's per-thread cache of freed blocks (tcache) is off, by
/// executing this program again with GLIBC_TUNABLES extended when it is not
/// (glibc reads its tunables only at start-up). Returns if the environment
/// already says so, if ONYMOUS_KEEP_MALLOC is set, after its own exec
/// (ONYMOUS_MALLOC_TUNED), for a setuid or setcap binary (AT_SECURE: glibc
/// erases the tunable), or if the exec fails.
void tune_malloc(char** argv);

}  // namespace onymous::app
