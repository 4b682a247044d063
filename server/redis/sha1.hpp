#pragma once
// SHA-1 in lowercase hex: the name Redis gives a script (SCRIPT LOAD,
// EVALSHA), and what pool.lua computes with redis.sha1hex for cooldown keys.
// Socket-free (onymous_core).

#include <string>
#include <string_view>

namespace onymous::redis {

/// Throws std::runtime_error if OpenSSL fails.
std::string sha1_hex(std::string_view text);

}  // namespace onymous::redis
