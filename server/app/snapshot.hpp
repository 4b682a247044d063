#pragma once
// From a loaded configuration to what the connections and sessions run
// with: the immutable snapshot a reload swaps in (net/server_context.hpp).

#include "net/server_context.hpp"

#include <onymous/config/config.hpp>
#include <onymous/session/signaling_session.hpp>

#include <memory>
#include <string>
#include <vector>

namespace onymous::app {

session::session_settings make_session_settings(const config::settings& s);

/// Builds the TLS context (when a listener needs it) and everything else a
/// connection reads. Throws std::runtime_error naming the file for bad TLS
/// material, so nothing of a reload is applied unless all of it is good.
std::shared_ptr<const net::connection_snapshot> make_snapshot(config::settings s);

/// A reload keeps what only a restart may change (threads, listeners,
/// admin, cluster, the matcher's windows): copies those of `running` into `next` and returns the
/// keys that differed, for the warnings.
std::vector<std::string> keep_restart_only(const config::settings& running, config::settings& next);

/// The per-address limits of limits.* (the table swaps them on a reload).
address::address_limits address_limits_of(const config::limits_settings& l);

}  // namespace onymous::app
