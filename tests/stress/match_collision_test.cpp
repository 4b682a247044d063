// The matcher's ownership handshake under real collisions: two threads
// submit at the same instant, round after round, and at the end of every
// round all their operations must have been applied. The deterministic
// version of each interleaving is in tests/unit/match_handshake_test.cpp;
// this one runs the real matcher on real cores.

#include "match_stress_model.hpp"

#include <onymous/match/matcher.hpp>
#include <onymous/match/peer.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace onymous::match::stress {
namespace {

/// Ignores every decision: only the front is under test here.
class quiet_peer : public peer {
public:
    void matched(pairing) override {}
    void partner_left(std::uint64_t) override {}
    void relay(std::uint64_t, std::string, std::chrono::steady_clock::time_point) override {
    }  // the matcher never relays
};

TEST_CASE("matcher leaves no operation behind when calls collide", "[match][stress]") {
    // Two threads start each round at the same instant (spinning on a round
    // number), submit one operation each and meet again: by then both calls
    // have returned, so both operations must have been applied. This is the
    // race the ownership handshake exists for: an owner letting go just as a
    // producer links its node and finds the matcher still owned.
    constexpr int threads = 2;
    const auto rounds = static_cast<int>(operation_count() / 8);
    options opts;
    opts.seed = 11;
    matcher m(opts);
    std::atomic<std::uint64_t> calls{0};
    std::atomic<int> arrived{0};
    std::atomic<int> round{0};
    int stranded = 0;  // written by the last thread of a round only
    std::vector<matchmaker::handle*> members(threads);
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < threads; ++t)
            workers.emplace_back([&, t] {
                auto* member = members[t] = m.attach(std::make_shared<quiet_peer>());
                for (int r = 0; r < rounds; ++r) {
                    while (round.load(std::memory_order_acquire) != r) std::this_thread::yield();
                    calls.fetch_add(1, std::memory_order_relaxed);
                    if (r % 2)
                        m.leave(member, r);
                    else
                        m.join(member, r, protocol::chat_mode::text, {std::string(1, 'a' + t)});
                    if (arrived.fetch_add(1, std::memory_order_acq_rel) == threads - 1) {
                        if (m.stats().operations_total != calls.load() + threads) ++stranded;
                        arrived.store(0, std::memory_order_relaxed);
                        round.store(r + 1, std::memory_order_release);
                    }
                }
            });
    }
    for (auto* member : members) m.detach(member);
    CHECK(stranded == 0);
}

}  // namespace
}  // namespace onymous::match::stress
