#include <onymous/relay/pair_caps.hpp>

namespace onymous::relay {

namespace {

bool count_within(std::uint64_t& count, std::uint64_t max) {
    if (count >= max) return false;
    ++count;
    return true;
}

}  // namespace

bool pair_caps::admit(const protocol::sdp_message&) { return count_within(offers_, max_offers_); }

bool pair_caps::admit(const protocol::candidate_message& m) {
    if (m.is_end_of_candidates()) return true;
    return count_within(candidates_, max_candidates_);
}

}  // namespace onymous::relay
