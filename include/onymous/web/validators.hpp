#pragma once
// Cache validators of a static file (RFC 9110, 8.8 and 13): a strong ETag,
// Last-Modified, and whether a conditional GET or HEAD gets 304. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace onymous::web {

/// A strong entity tag, quoted: a hash of the size, the modification time in
/// nanoseconds and the inode, so that any change of the file (or a new file
/// put in its place) changes it, without showing the inode number to
/// clients.
std::string entity_tag(std::uint64_t size, std::int64_t mtime_seconds,
                       std::int64_t mtime_nanoseconds, std::uint64_t inode);

/// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); `unix_seconds` >= 0.
std::string http_date(std::int64_t unix_seconds);

/// Any of the three HTTP date forms a recipient must accept (IMF-fixdate,
/// RFC 850, asctime); nullopt when it is none of them.
std::optional<std::int64_t> parse_http_date(std::string_view text);

/// If-None-Match: true when the list is "*" or names `etag` under the weak
/// comparison (a "W/" prefix ignored on either side), as RFC 9110, 13.1.2
/// requires. A malformed list matches nothing.
bool none_match_hits(std::string_view if_none_match, std::string_view etag);

/// Whether a GET or HEAD is answered 304 (RFC 9110, 13.2.2): If-None-Match
/// decides when present (If-Modified-Since is then ignored); otherwise a
/// valid If-Modified-Since at or after the file's modification time (whole
/// seconds, as Last-Modified says it) does.
bool not_modified(const std::optional<std::string>& if_none_match,
                  const std::optional<std::string>& if_modified_since, std::string_view etag,
                  std::int64_t mtime_seconds);

}  // namespace onymous::web
