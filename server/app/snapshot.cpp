#include "app/snapshot.hpp"

#include "tls/tls_context.hpp"

namespace onymous::app {

session::session_settings make_session_settings(const config::settings& s) {
    session::session_settings out;
    out.limits = s.limits;
    out.max_interests = s.matching.max_interests;
    out.relay_only = s.ice.privacy == config::ice_privacy::relay_only;
    // hello's and matched's TURN credentials, and relay-only's relay networks.
    out.ice = s.ice;
    out.abuse = s.abuse;
    return out;
}

std::shared_ptr<const net::connection_snapshot> make_snapshot(config::settings s) {
    auto out = std::make_shared<net::connection_snapshot>();
    if (s.needs_tls()) {
        out->tls = tls::make_server_context(s.tls);
        out->certificate_not_after = tls::certificate_not_after(*out->tls);
    }
    out->trusted_proxies = address::network_set(s.trusted_proxies);
    out->sessions = std::make_shared<const session::session_snapshot>(make_session_settings(s));
    out->settings = std::move(s);
    return out;
}

address::address_limits address_limits_of(const config::limits_settings& l) {
    return {l.max_connections_per_address, l.new_connections_per_address_per_minute};
}

std::vector<std::string> keep_restart_only(const config::settings& running,
                                           config::settings& next) {
    std::vector<std::string> changed;
    const auto keep = [&](auto& field, const auto& old, const char* key) {
        if (field == old) return;
        changed.emplace_back(key);
        field = old;
    };
    keep(next.threads, running.threads, "threads");
    keep(next.listeners, running.listeners, "listeners");
    keep(next.admin, running.admin, "admin");
    keep(next.cluster, running.cluster, "cluster");
    // The matcher takes its windows once, at start.
    keep(next.matching.interest_timeout, running.matching.interest_timeout,
         "matching.interest_timeout");
    keep(next.matching.rematch_cooldown, running.matching.rematch_cooldown,
         "matching.rematch_cooldown");
    return changed;
}

}  // namespace onymous::app
