#include <onymous/web/static_reply.hpp>

#include <onymous/web/target.hpp>
#include <onymous/web/validators.hpp>

#include <array>

namespace onymous::web {

namespace {

using field = std::pair<std::string_view, std::string_view>;

// connect-src 'self': the page's own WebSocket (ws: from http:, wss: from
// https:, same host and port). font-src and manifest-src are named because
// default-src 'none' would otherwise refuse the client's own woff2 and
// webmanifest files.
constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; manifest-src 'self'; media-src 'self' blob: mediastream:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

constexpr std::array<field, 5> security_fields = {{
    {"Content-Security-Policy", content_security_policy},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"Permissions-Policy", "camera=(self), microphone=(self), geolocation=()"},
    // For browsers that predate frame-ancestors.
    {"X-Frame-Options", "DENY"},
}};

struct type_row {
    std::string_view extension;
    std::string_view type;
};

constexpr std::array<type_row, 12> content_types = {{
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    // RFC 9239: text/javascript for classic scripts and modules alike.
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"ico", "image/x-icon"},
    // JSON is UTF-8 by definition (RFC 8259) and has no charset parameter.
    {"json", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"woff2", "font/woff2"},
}};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view extension_of(std::string_view file_name) {
    const auto dot = file_name.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : file_name.substr(dot + 1);
}

void add_common(static_reply& reply, std::int64_t now_unix) {
    reply.headers.push_back({"Server", "onymousd"});
    reply.headers.push_back({"Date", http_date(now_unix)});
    for (const auto& [name, value] : security_fields)
        reply.headers.push_back({name, std::string(value)});
}

static_reply refusal(int status, std::string_view text, const static_request& request,
                     std::int64_t now_unix) {
    static_reply reply;
    reply.status = status;
    add_common(reply, now_unix);
    reply.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
    reply.headers.push_back({"Cache-Control", "no-store"});
    reply.headers.push_back({"Content-Length", std::to_string(text.size())});
    if (status == 405) reply.headers.push_back({"Allow", "GET, HEAD"});
    if (request.verb != method::head) reply.text = text;
    return reply;
}

}  // namespace

std::span<const std::pair<std::string_view, std::string_view>> security_headers() {
    return security_fields;
}

std::string_view content_type(std::string_view file_name) {
    const auto extension = extension_of(file_name);
    for (const auto& row : content_types)
        if (same_ignoring_case(extension, row.extension)) return row.type;
    return "application/octet-stream";
}

std::string_view cache_control(std::string_view file_name) {
    // HTML pages are the entry points: always revalidated (a 304 while
    // unchanged), so a new release is seen on the next load. The client has
    // no build step, hence no content-hashed names, so its scripts and styles
    // cannot be cached "forever"; five minutes spares the revalidation round
    // trips while a page loads and within a visit, and bounds how long a
    // browser may pair a new page with an older cached module after an
    // upgrade.
    const auto extension = extension_of(file_name);
    if (same_ignoring_case(extension, "html") || same_ignoring_case(extension, "htm"))
        return "no-cache";
    return "max-age=300";
}

static_reply answer(const static_request& request, const std::string& root, std::int64_t now_unix) {
    if (request.verb == method::other)
        return refusal(405, "method not allowed\n", request, now_unix);
    const auto resolved = resolve_target(request.target);
    if (const auto* refused = std::get_if<target_refusal>(&resolved)) {
        return *refused == target_refusal::bad_request
                   ? refusal(400, "bad request\n", request, now_unix)
                   : refusal(404, "not found\n", request, now_unix);
    }
    const auto& target = std::get<resolved_target>(resolved);
    auto opened = open_beneath(root, target.segments);
    // Too large is a 404 as well: the file is not part of what is served,
    // and a status of its own would tell clients what lies in the root.
    if (!std::holds_alternative<opened_file>(opened))
        return refusal(404, "not found\n", request, now_unix);
    auto& file = std::get<opened_file>(opened);

    const auto& name = target.segments.back();
    const auto etag = entity_tag(file.size, file.mtime_seconds, file.mtime_nanoseconds, file.inode);
    static_reply reply;
    add_common(reply, now_unix);
    reply.headers.push_back({"ETag", etag});
    reply.headers.push_back({"Last-Modified", http_date(file.mtime_seconds)});
    reply.headers.push_back({"Cache-Control", std::string(cache_control(name))});
    if (not_modified(request.if_none_match, request.if_modified_since, etag, file.mtime_seconds)) {
        // 304: the validators and caching headers a 200 would carry, no
        // body and no Content-Length (RFC 9110, 15.4.5).
        reply.status = 304;
        return reply;
    }
    reply.status = 200;
    reply.headers.push_back({"Content-Type", std::string(content_type(name))});
    reply.headers.push_back({"Content-Length", std::to_string(file.size)});
    if (request.verb == method::get) reply.file = std::move(file);
    return reply;
}

static_reply server_error(const static_request& request, std::int64_t now_unix) {
    return refusal(500, "internal error\n", request, now_unix);
}

}  // namespace onymous::web
