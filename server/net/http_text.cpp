#include "net/http_text.hpp"

#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <utility>

namespace onymous::net {

namespace http = boost::beast::http;

std::string_view path_of(std::string_view target) {
    return target.substr(0, std::min(target.find('?'), target.size()));
}

http::response<http::string_body> text_response(http::status status, std::string body) {
    http::response<http::string_body> response(status, 11);
    response.set(http::field::server, "onymousd");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.set(http::field::cache_control, "no-store");
    response.body() = std::move(body);
    response.keep_alive(false);
    response.prepare_payload();
    return response;
}

}  // namespace onymous::net
