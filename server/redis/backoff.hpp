#pragma once
// The reconnection delays, decided in pure code: doubling from a minimum to
// a maximum, each one jittered down to between half and all of itself, so
// that the nodes of a cluster that lost Redis together do not all come back
// in the same millisecond. The random source is the caller's.

#include <chrono>
#include <cstdint>

namespace onymous::redis {

class backoff {
public:
    backoff(std::chrono::milliseconds min, std::chrono::milliseconds max);

    /// The wait before the next attempt, from a uniformly random `draw`;
    /// then the step doubles, up to the maximum.
    std::chrono::milliseconds next(std::uint32_t draw);
    /// A connection succeeded: the next wait starts from the minimum again.
    void reset() { step_ = min_; }

private:
    std::chrono::milliseconds min_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds step_;
};

}  // namespace onymous::redis
