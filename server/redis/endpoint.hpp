#pragma once
// Where Redis is (cluster.redis), parsed without I/O: the config layer
// checks the prefix, this checks the rest, and the client connects to what
// it returns.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace onymous::redis {

/// Where Redis is: cluster.redis, "redis://[:password@]host:port" or "unix:/path".
struct endpoint {
    std::string host;  ///< IPv4/IPv6 literal or name (empty with unix_path)
    std::uint16_t port = 6379;
    std::string unix_path;
    std::string password;  ///< AUTH when not empty; never logged
    std::string username;  ///< AUTH username password (Redis 6 ACL) when not empty
};

/// nullopt when the URL is not one of the two forms (the config layer checks the prefix only).
///
/// - `redis://[[username]:password@]host[:port][/]`: host is a name, an IPv4
///   literal or a bracketed IPv6 literal (`[::1]`); port 1-65535, 6379 when
///   absent; username and password are percent-decoded (`%40` is `@`), as
///   `redis-cli -u` does, and the password ends at the last `@`.
/// - `unix:/absolute/path` (no password: a Unix socket is guarded by its
///   file permissions), shorter than sockaddr_un's sun_path.
/// Control characters and spaces are refused anywhere.
std::optional<endpoint> parse_url(std::string_view url);

/// "host:port" (brackets around IPv6) or "unix:/path", for logs: never the password.
std::string describe(const endpoint& where);

}  // namespace onymous::redis
