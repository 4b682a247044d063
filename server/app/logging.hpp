#pragma once
// The daemon's log: stderr, for journald. Never an address, a token, an
// interest, SDP or a candidate (docs/privacy.md).

#include <onymous/config/config.hpp>

#include <spdlog/common.h>

namespace onymous::app {

spdlog::level::level_enum spdlog_level(config::log_level level);

/// The stderr logger, at `level`; errors are flushed at once.
void set_up_logging(config::log_level level);

}  // namespace onymous::app
