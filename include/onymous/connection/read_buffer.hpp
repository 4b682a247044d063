#pragma once
// What a connection holds for its next message while it waits for it.

#include <cstddef>

namespace onymous::connection {

/// A connection spends almost all its life waiting for its next message, so
/// the first bytes of each go into a buffer of this size (a whole-message
/// read would take Beast's 1,536 at once); it holds most protocol messages
/// (join, ack, next) whole. It counts against limits.max_buffered_bytes from
/// the moment the read begins.
inline constexpr std::size_t first_read_bytes = 256;

}  // namespace onymous::connection
