#pragma once
// Process-level facts and settings the daemon needs at start-up.

#include <cstdint>
#include <string>

namespace onymous::app {

/// CPUs this process may run on (its affinity mask), at least 1.
unsigned usable_cpus();

/// Raises the open-file soft limit to the hard limit; returns the new soft
/// limit (0 if unknown).
std::uint64_t raise_open_file_limit();

/// Writes `content` to `path` atomically (temporary file + rename).
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace onymous::app
