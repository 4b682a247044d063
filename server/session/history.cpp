#include <onymous/session/history.hpp>

namespace onymous::session {

std::optional<std::uint64_t> history::push(std::uint64_t seq, frame text) {
    bytes_ += text->size();
    entries_.push_back({seq, std::move(text)});
    std::optional<std::uint64_t> dropped;
    // The newest message always stays, even alone over the bound: the
    // bound is on what is kept for a replay, not on a single message.
    while (bytes_ > max_bytes_ && entries_.size() > 1) {
        dropped = entries_.front().seq;
        bytes_ -= entries_.front().text->size();
        entries_.pop_front();
    }
    return dropped;
}

bool history::holds_after(std::uint64_t last_seq, std::uint64_t newest) const {
    if (last_seq > newest) return false;  // the client claims what was never sent
    if (last_seq == newest) return true;  // nothing to re-send
    return !entries_.empty() && entries_.front().seq <= last_seq + 1;
}

}  // namespace onymous::session
