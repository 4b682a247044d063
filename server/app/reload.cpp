#include "app/reload.hpp"

#include "app/logging.hpp"
#include "app/snapshot.hpp"

#include <onymous/config/load.hpp>

#include <spdlog/spdlog.h>

namespace onymous::app {

void reloader::reload() {
    auto& server = targets_.server;
    if (server.shutting_down.load()) return;
    targets_.notifier.reloading();
    spdlog::info("reloading the configuration from {}", path_);
    auto& stats = server.stats;
    try {
        auto next = config::load_file(path_);
        for (const auto& key : keep_restart_only(running_, next))
            spdlog::warn("{} changed: needs a restart, keeping the running value", key);
        for (const auto& warning : config::warnings(next)) spdlog::warn("{}", warning);
        auto snapshot = make_snapshot(std::move(next));
        // Nothing can fail from here on: every part is swapped.
        const auto& limits = snapshot->settings.limits;
        server.addresses.set_limits(address_limits_of(limits));
        server.sessions.budget.set_limit(limits.max_buffered_bytes);
        server.sessions.abuse.configure(snapshot->settings.abuse);
        spdlog::default_logger()->set_level(spdlog_level(snapshot->settings.logging.level));
        targets_.drain_timeout.store(snapshot->settings.shutdown.drain_timeout);
        server.replace(std::move(snapshot));
    } catch (const std::exception& e) {
        stats.reloads_failed_total.fetch_add(1, std::memory_order_relaxed);
        stats.last_reload_ok.store(false);
        spdlog::error("reload failed, keeping the running configuration: {}", e.what());
        targets_.notifier.ready("reload failed; " + targets_.status_line());
        return;
    }
    stats.reloads_ok_total.fetch_add(1, std::memory_order_relaxed);
    stats.last_reload_ok.store(true);
    spdlog::info("configuration reloaded");
    targets_.notifier.ready("reloaded; " + targets_.status_line());
}

}  // namespace onymous::app
