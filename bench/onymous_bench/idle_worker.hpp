#pragma once
// The child-process side of the idle scenario (idle_worker.cpp).

#include "options.hpp"

#include <cstddef>

namespace onymous::bench {

/// Opens connections first .. first+count-1 and holds them until release_fd
/// is closed or written, reporting on report_fd. Returns the exit status.
int run_idle_worker(const options& opts, std::size_t first, std::size_t count, int report_fd,
                    int release_fd);

}  // namespace onymous::bench
