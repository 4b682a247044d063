#pragma once
// When to give freed heap back to the system. glibc keeps what a load spike
// freed in its arenas (each worker thread has its own) unless it happens to
// sit at the top of a heap: after 200 churning clients left, the RSS stayed
// at its peak. malloc_trim() returns every whole free page, at the price of
// walking the arenas under their locks (milliseconds for hundreds of MiB),
// so it is worth doing once a spike has gone, not on every sample.
//
// The policy watches the load (connections plus buffered bytes, as one
// figure) sampled by the control thread: it trims when the load has fallen
// to at most half of the highest it reached since the last trim, and that
// fall is at least `min_drop`. Pure: the caller samples and trims.

#include <cstdint>

namespace onymous::memory {

class trim_policy {
public:
    /// `min_drop`: the least fall in load units worth a trim.
    explicit trim_policy(std::uint64_t min_drop) : min_drop_(min_drop) {}

    /// One sample; true when the caller should trim now.
    bool sample(std::uint64_t load) {
        if (load > peak_) peak_ = load;
        if (peak_ - load < min_drop_ || load * 2 > peak_) return false;
        peak_ = load;  // the next spike is measured from here
        return true;
    }

    /// A load unit per connection and per KiB buffered: one connection costs
    /// a few KiB of heap that buffered bytes do not count (TLS, Beast, session).
    static std::uint64_t load_of(std::uint64_t connections, std::uint64_t buffered_bytes) {
        return connections * 8 + buffered_bytes / 1024;
    }

private:
    std::uint64_t min_drop_;
    std::uint64_t peak_ = 0;
};

}  // namespace onymous::memory
