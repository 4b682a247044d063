#pragma once
// A Redis reply as a plain value: what the client hands to its callers,
// built straight from the bytes by hiredis's reader (redis/resp.hpp), so
// that no hiredis type leaves server/redis/.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::redis {

/// A reply, copied out of hiredis's.
struct reply {
    enum class kind : std::uint8_t { string, status, integer, nil, array, error };
    kind type = kind::nil;
    std::string text;             ///< string, status, error
    long long integer = 0;        ///< integer
    std::vector<reply> elements;  ///< array

    bool is_error() const { return type == kind::error; }
    /// An error whose text begins with `code` and then a space or the end ("NOSCRIPT", "WRONGTYPE").
    bool is_error(std::string_view code) const {
        return type == kind::error && text.starts_with(code) &&
               (text.size() == code.size() || text[code.size()] == ' ');
    }
};

}  // namespace onymous::redis
