#pragma once
// `onymousd --probe URL`: the client of the container's HEALTHCHECK, since a
// minimal image has no curl. Plain POSIX sockets and no Asio, so that this
// translation unit compiles in about a second.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace onymous::app {

/// Exit codes of probe().
inline constexpr int probe_healthy = 0;
inline constexpr int probe_unhealthy = 1;
inline constexpr int probe_bad_url = 2;

/// Total time probe() may take, connection included: below any sensible
/// HEALTHCHECK --timeout, so the verdict is ours rather than the engine's.
inline constexpr int probe_timeout_ms = 3000;

/// Where a probe goes: http://HOST[:PORT][/PATH].
struct probe_target {
    std::string host;  ///< as written, without IPv6 brackets
    bool ipv6 = false;
    std::uint16_t port = 80;
    std::string target = "/";  ///< request target: path and query
};

/// Parses `url`. HOST must be an IPv4 literal, a bracketed IPv6 literal or
/// `localhost`: no name resolution, whose time the probe could not bound.
/// On failure returns nullopt and says why in `reason`.
std::optional<probe_target> parse_probe_url(std::string_view url, std::string& reason);

/// GETs `url` over plain HTTP within probe_timeout_ms. Returns probe_healthy
/// on status 200; probe_unhealthy otherwise, with one line on stderr;
/// probe_bad_url for a URL parse_probe_url refuses.
int probe(std::string_view url);

}  // namespace onymous::app
