#pragma once
// What onymousd answers to a GET or HEAD (or any other method) for a path
// other than /ws when web.root is set: the status, every header, and the
// open file when there is a body to send. Pure of sockets and of HTTP
// libraries, so that the whole decision is unit-tested on a temporary
// directory; net/static_files turns it into a Beast response.

#include <onymous/web/document_root.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onymous::web {

enum class method { get, head, other };

/// The parts of a request that the answer depends on.
struct static_request {
    method verb = method::get;
    std::string_view target;
    /// Every If-None-Match line, joined with ", " (one list, RFC 9110, 5.3).
    std::optional<std::string> if_none_match;
    std::optional<std::string> if_modified_since;
};

struct header_line {
    std::string_view name;
    std::string value;
};

struct static_reply {
    int status = 404;
    std::vector<header_line> headers;  ///< Content-Length included
    std::string text;                  ///< the body of a refusal (never with a file)
    std::optional<opened_file> file;   ///< a 200 GET: send exactly Content-Length of it
};

/// Headers on every static response, refusals and 304 included: the page
/// may load its own scripts, styles, images, fonts and manifest, open
/// WebSockets to its own origin (CSP 'self' covers ws: and wss: on the same
/// host and port, CSP Level 3, 6.7.2.8; checked in Chromium), use the camera
/// and microphone itself, and nothing else; it cannot be framed, sniffed,
/// or leak the URL as a referrer.
std::span<const std::pair<std::string_view, std::string_view>> security_headers();

/// The Content-Type of a file by its extension (case-insensitive):
/// charset=utf-8 on text types, application/octet-stream when unknown.
std::string_view content_type(std::string_view file_name);

/// Cache-Control of a served file (see the definition for why).
std::string_view cache_control(std::string_view file_name);

/// The whole answer; `now_unix` is the Date header's time.
static_reply answer(const static_request& request, const std::string& root, std::int64_t now_unix);

/// A 500 with the same headers as any refusal, for a file that could be
/// opened but not prepared for sending.
static_reply server_error(const static_request& request, std::int64_t now_unix);

}  // namespace onymous::web
