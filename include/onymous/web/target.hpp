#pragma once
// The request target of a static file, turned into the names to look up
// under web.root, or refused. Pure: no file system, no sockets.
//
// One pass, in this order, and the first failure answers:
//  - not origin-form (no leading '/': absolute-form, authority-form, '*'),
//    a raw backslash, '#', or a control byte -> bad_request;
//  - the query ('?' and after) is dropped;
//  - the path is split on raw '/' and each segment percent-decoded exactly
//    once: a '%' not followed by two hex digits, or a decoded NUL, '/', '\'
//    or control character, or a segment that is not valid UTF-8 (overlong
//    forms such as %c0%ae included) -> bad_request;
//  - a decoded segment that is "." or ".." (however it was spelt: "%2e%2E")
//    -> bad_request: browsers remove dot-segments before sending (RFC 3986,
//    5.2.4), so only a traversal attempt carries one;
//  - any other segment starting with '.' (hidden files: .git, .env),
//    an empty segment inside the path ("a//b"), or more than max_segments
//    -> not_found;
//  - a path ending in '/' (the root included) names that directory's
//    index.html.
// A '%' that decoding produces ("%252e" -> "%2e") is an ordinary character
// of a file name: decoding is never repeated.

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace onymous::web {

/// More directory levels than any web client needs; bounds the walk.
inline constexpr std::size_t max_segments = 16;

enum class target_refusal { bad_request, not_found };

/// Decoded names from web.root down: directories, then the file.
struct resolved_target {
    std::vector<std::string> segments;  ///< never empty; the last is the file
    bool directory_index = false;       ///< the target ended in '/'
};

std::variant<resolved_target, target_refusal> resolve_target(std::string_view target);

}  // namespace onymous::web
