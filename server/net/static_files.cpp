#include "net/static_files.hpp"

#include <onymous/web/static_reply.hpp>

#include <boost/beast/core/file.hpp>
#include <boost/beast/http/field.hpp>

#include <chrono>
#include <optional>

namespace onymous::net {

namespace http = boost::beast::http;

namespace {

web::method method_of(const upgrade_request& request) {
    switch (request.method()) {
    case http::verb::get: return web::method::get;
    case http::verb::head: return web::method::head;
    default: return web::method::other;
    }
}

/// Several lines of a list header are one list (RFC 9110, 5.3).
std::optional<std::string> joined(const upgrade_request& request, http::field name) {
    std::optional<std::string> out;
    const auto [first, last] = request.equal_range(name);
    for (auto line = first; line != last; ++line) {
        if (out)
            out->append(", ");
        else
            out.emplace();
        out->append(line->value().data(), line->value().size());
    }
    return out;
}

/// If-Modified-Since with more than one line is ignored (RFC 9110, 13.1.3).
std::optional<std::string> single(const upgrade_request& request, http::field name) {
    const auto [first, last] = request.equal_range(name);
    if (first == last || std::next(first) != last) return std::nullopt;
    return std::string(first->value().data(), first->value().size());
}

template <class Message>
void set_headers(Message& message, const web::static_reply& reply) {
    for (const auto& line : reply.headers) message.set(line.name, line.value);
    message.keep_alive(false);
}

static_response::text_message text_message_of(const web::static_reply& reply) {
    static_response::text_message message(static_cast<http::status>(reply.status), 11);
    set_headers(message, reply);
    // Content-Length is the reply's (the file's, for HEAD), not the body's:
    // no prepare_payload().
    message.body() = reply.text;
    return message;
}

}  // namespace

std::shared_ptr<static_response> make_static_response(const upgrade_request& request,
                                                      const std::string& root, counters& stats) {
    web::static_request wanted;
    wanted.verb = method_of(request);
    wanted.target = std::string_view(request.target().data(), request.target().size());
    wanted.if_none_match = joined(request, http::field::if_none_match);
    wanted.if_modified_since = single(request, http::field::if_modified_since);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto reply = web::answer(wanted, root, now);

    if (reply.status == 404) stats.http_404_total.fetch_add(1, std::memory_order_relaxed);
    // Hook: static responses by status (200, 304, 400, 404, 405) are where a
    // metric of the lead's would count them.

    auto response = std::make_shared<static_response>();
    if (!reply.file) {
        response->message = text_message_of(reply);
        return response;
    }
    const auto size = reply.file->size;
    boost::beast::file file;
    file.native_handle(reply.file->fd.release());
    static_response::file_message message(http::status::ok, 11);
    boost::beast::error_code ec;
    message.body().reset(std::move(file), ec);
    // A file that changed size since it was looked at would not match its
    // Content-Length.
    if (ec || message.body().size() != size) {
        response->message = text_message_of(web::server_error(wanted, now));
        return response;
    }
    set_headers(message, reply);
    response->message = std::move(message);
    return response;
}

}  // namespace onymous::net
