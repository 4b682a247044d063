#pragma once
// The sequenced messages a session has sent, kept so that a resume can
// re-send what the client missed (PROTOCOL.md, Resume). Bounded in bytes by
// limits.max_outbound_bytes: the oldest go first.

#include <onymous/session/transport.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace onymous::session {

class history {
public:
    explicit history(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    /// Appends `text` as message `seq` (one above the last), dropping the
    /// oldest messages past the bound. Returns the highest seq dropped, if any.
    std::optional<std::uint64_t> push(std::uint64_t seq, frame text);

    /// True when every message after `last_seq` up to the newest (`newest`)
    /// is still held: a resume from `last_seq` can be served.
    bool holds_after(std::uint64_t last_seq, std::uint64_t newest) const;

    /// Calls `fn(text)` for every held message with seq > `last_seq`, in order.
    template <class Fn>
    void each_after(std::uint64_t last_seq, Fn&& fn) const {
        for (const auto& e : entries_)
            if (e.seq > last_seq) fn(e.text);
    }

    std::size_t bytes() const { return bytes_; }
    std::size_t size() const { return entries_.size(); }

private:
    struct entry {
        std::uint64_t seq;
        frame text;
    };
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::deque<entry> entries_;
};

}  // namespace onymous::session
