#include "app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace onymous::app {

spdlog::level::level_enum spdlog_level(config::log_level level) {
    switch (level) {
    case config::log_level::error: return spdlog::level::err;
    case config::log_level::warn: return spdlog::level::warn;
    case config::log_level::info: return spdlog::level::info;
    case config::log_level::debug: return spdlog::level::debug;
    }
    return spdlog::level::err;
}

void set_up_logging(config::log_level level) {
    auto logger = spdlog::stderr_logger_mt("onymousd");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
    logger->set_level(spdlog_level(level));
    logger->flush_on(spdlog::level::err);
    spdlog::set_default_logger(logger);
}

}  // namespace onymous::app
