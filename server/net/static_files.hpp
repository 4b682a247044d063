#pragma once
// The Beast side of static files: when web.root is set, a request for any
// path other than /ws on a public listener is answered by web::answer()
// (include/onymous/web/static_reply.hpp: target rules, symbolic links,
// content types, validators, security headers), written here and the
// connection closed, as the handshake's refusals are. Included only by
// net/http_session.cpp.
//
// Bounded per connection: the request is the handshake's (8 KiB of header,
// no body), and a file is read in the file body's 4 KiB buffer as the
// socket takes it, never whole. The write stays under the handshake's
// deadline (limits.handshake_timeout), so a client that reads too slowly is
// cut off like one that sends too slowly. Reads are blocking reads of a
// regular file on the worker's thread: the client is a few small files
// that the page cache holds.
//
// Nothing is logged: a requested path, with or without an address, is the
// visitor's business.

#include "net/server_context.hpp"
#include "net/websocket_connection.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace onymous::net {

/// A response ready to write: a file body for a 200 GET, a string body
/// otherwise (empty for HEAD and 304, whatever Content-Length says).
struct static_response {
    using text_message = boost::beast::http::response<boost::beast::http::string_body>;
    using file_message = boost::beast::http::response<boost::beast::http::file_body>;

    std::variant<text_message, file_message> message;
};

/// The answer to `request` from the files under `root`; counts a 404 in
/// stats.http_404_total like the listener's other 404s.
std::shared_ptr<static_response> make_static_response(const upgrade_request& request,
                                                      const std::string& root, counters& stats);

/// Writes `response` and calls `done(ec)`; the response lives until then.
template <class Stream, class Done>
void async_write_static(Stream& stream, std::shared_ptr<static_response> response, Done done) {
    std::visit(
        [&](auto& message) {
            boost::beast::http::async_write(
                stream, message,
                [response, done = std::move(done)](boost::beast::error_code ec,
                                                   std::size_t) mutable { done(ec); });
        },
        response->message);
}

}  // namespace onymous::net
