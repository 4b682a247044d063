#include "redis/backoff.hpp"

#include <algorithm>

namespace onymous::redis {

backoff::backoff(std::chrono::milliseconds min, std::chrono::milliseconds max)
    : min_(std::max(min, std::chrono::milliseconds(1))), max_(std::max(max, min_)), step_(min_) {}

std::chrono::milliseconds backoff::next(std::uint32_t draw) {
    // Between step/2 and step, inclusive.
    const auto half = step_.count() / 2;
    const auto span = static_cast<std::uint64_t>(step_.count() - half) + 1;
    const auto wait = std::chrono::milliseconds(half + static_cast<long long>(draw % span));
    step_ = std::min(step_ * 2, max_);
    return wait;
}

}  // namespace onymous::redis
