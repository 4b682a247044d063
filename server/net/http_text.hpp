#pragma once
// What the daemon's plain-text HTTP answers share: the public listener's
// refusals (404, 426, 403, 503, 400) and the admin endpoint's replies.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>

namespace onymous::net {

/// The request target without its query ("/ws?x=1" -> "/ws").
std::string_view path_of(std::string_view target);

/// An HTTP/1.1 text/plain response that closes the connection and is not
/// cached, with its Content-Length set. Callers add status-specific headers
/// (Retry-After, Upgrade, Allow) afterwards.
boost::beast::http::response<boost::beast::http::string_body> text_response(
    boost::beast::http::status status, std::string body);

}  // namespace onymous::net
