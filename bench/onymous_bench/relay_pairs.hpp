#pragma once
// The pairs of the relay scenario: two connections each, paired by a join
// with an interest of their own (onymous) or by known ids (PeerJS), then
// sending the signaling mix to each other. One message is in flight per
// pair in the closed loop (its receipt triggers the next send); with a rate,
// each pair sends on its own schedule and the send times of one direction
// wait in a FIFO, which the protocol's in-order delivery keeps exact.
// With several nodes (--url several times), the pair's sides connect to the
// nodes relay_nodes() chooses: the generator knows whether a pair is
// same-node or cross-node without asking the server.

#include "acker.hpp"
#include "common.hpp"
#include "histogram.hpp"
#include "signaling_mix.hpp"

#include <array>
#include <deque>
#include <memory>
#include <vector>

namespace onymous::bench {

/// The nodes (indexes into opts.nodes) of pair `index`'s first and second
/// side, by --pair-nodes. The first sides go round-robin; the second: same
/// node, or each of the other nodes in turn (cross), or each node in turn
/// (mixed: over N*N pairs every ordered combination once, so 1/N of them
/// same-node, as a uniform pool of N equal nodes gives). Every node gets
/// the same number of clients over whole cycles.
std::array<std::size_t, 2> relay_nodes(const options& opts, std::size_t index);

class relay_run;
struct relay_pair;

/// One connection of a pair.
class relay_side final : public ws_connection::listener {
public:
    relay_side(relay_run& run, relay_pair& pair, bool first);

    void open();
    ws_connection& connection() { return connection_; }
    bool offerer() const { return offerer_; }
    bool greeted() const { return state_ >= state::greeted; }
    bool matched() const { return state_ == state::matched; }
    bool broken() const { return state_ == state::broken; }
    bool done() const { return ended_ || state_ == state::broken; }

    void on_open(const error_code& ec, const char* step) override;
    void on_message(std::string_view text) override;
    void on_closed(const error_code& ec, int close_code) override;

private:
    enum class state { connecting, greeted, joined, matched, broken };
    void on_greeting(std::string_view text);
    void on_matched(std::string_view text);
    void fail(const std::string& kind);

    relay_run& run_;
    relay_pair& pair_;
    bool first_;
    /// Counts only: a closed loop never leaves a message unacknowledged long.
    acker acker_;
    bool offerer_ = false;
    state state_ = state::connecting;
    bool ended_ = false;
    ws_connection connection_;
};

struct relay_pair {
    /// A message sent and not yet received: when, and which step of the mix.
    struct in_flight {
        steady::time_point sent;
        std::size_t step;
    };

    std::size_t index = 0;
    std::array<std::size_t, 2> node{};  ///< the first's and the second's (relay_nodes)
    std::string tag;                    ///< the interest (onymous) or id stem (PeerJS) of this pair
    std::unique_ptr<relay_side> first;
    std::unique_ptr<relay_side> second;
    std::size_t step = 0;
    /// [0]: offerer to answerer, [1]: answerer to offerer.
    std::deque<in_flight> flying[2];
    /// PeerJS texts name the peer, so each pair has its own; onymous pairs
    /// point at the shared ones.
    side_texts own[2];
    const side_texts* texts[2] = {nullptr, nullptr};  ///< [0] offerer's, [1] answerer's
    std::unique_ptr<boost::asio::steady_timer> pacer;
    std::uint64_t paced_sends = 0;

    bool ready() const { return first->matched() && second->matched(); }
    bool cross_node() const { return node[0] != node[1]; }
    bool broken() const { return first->broken() || second->broken(); }
    relay_side& offerer() { return first->offerer() ? *first : *second; }
    relay_side& answerer() { return first->offerer() ? *second : *first; }
};

}  // namespace onymous::bench
