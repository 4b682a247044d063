#pragma once
// Where a node's abuse controls send what they count, for other nodes to
// count it too (cluster mode: cluster/node shares it through Redis). The
// single node has none.
//
// Only what changes a counter crosses: a `next` of an address (the skip
// throttle) and a counted or repeated report (the report ledger). Each
// carries keyed hashes of addresses (address_hasher), never an address,
// and nothing of it is logged.

#include <cstdint>

namespace onymous::abuse {

class event_sink {
public:
    virtual ~event_sink() = default;
    /// A `next` from `address`, allowed or refused. Any thread; must not block.
    virtual void skipped(std::uint64_t address) = 0;
    /// `reporter` reported `reported`, counted or repeated. Any thread; must not block.
    virtual void reported(std::uint64_t reporter, std::uint64_t reported) = 0;
};

}  // namespace onymous::abuse
