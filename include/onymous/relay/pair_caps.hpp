#pragma once
// limits.pair_max_offers and limits.pair_max_candidates: how much one side
// may relay to its partner within one pairing. Each session counts what it
// sends itself, so each direction has its own count; the counts start over
// with every new pairing.

#include <onymous/protocol/messages.hpp>

#include <cstdint>

namespace onymous::relay {

class pair_caps {
public:
    pair_caps(std::uint64_t max_offers, std::uint64_t max_candidates)
        : max_offers_(max_offers), max_candidates_(max_candidates) {}

    /// A new pairing starts: nothing relayed yet.
    void start_pairing() { offers_ = candidates_ = 0; }

    /// Counts an offer or answer about to be relayed; false (and not
    /// counted) when the pairing's cap is reached.
    bool admit(const protocol::sdp_message& m);
    /// The same for a candidate; end-of-candidates is always admitted and
    /// never counted (a client sends one per gathering, and it carries
    /// nothing).
    bool admit(const protocol::candidate_message& m);

    std::uint64_t offers() const { return offers_; }
    std::uint64_t candidates() const { return candidates_; }

private:
    std::uint64_t max_offers_;
    std::uint64_t max_candidates_;
    std::uint64_t offers_ = 0;  ///< offers and answers alike
    std::uint64_t candidates_ = 0;
};

}  // namespace onymous::relay
