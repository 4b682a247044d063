// The choice of a partner across nodes is uniform among the eligible
// (PROTOCOL.md, Matching), whichever node the waiters and the newcomer are
// on: a chi-square test, as the single-node matcher has
// (tests/unit/match_uniformity_test.cpp).

#include "cluster_fixture.hpp"
#include "lifecycle.hpp"

#include <array>
#include <numeric>
#include <thread>

using namespace onymous::test;

TEST_CASE("the partner chosen across nodes is uniform among the eligible waiters",
          "[cluster_uniformity_test][cluster]") {
    // Six waiters, two on each node, that may not meet each other (each
    // names an interest of its own, inside a long window); three newcomers,
    // one per node, that share an interest with every waiter. The shared
    // interest in `matched` names the waiter chosen.
    cluster c({.nodes = 3, .interest_timeout = "600s"});
    constexpr int waiters = 6;
    constexpr int trials = 300;
    std::vector<ws_client> waiting;
    std::vector<std::string> everyone;
    for (int i = 0; i < waiters; ++i) everyone.push_back("u" + std::to_string(i));
    for (int i = 0; i < waiters; ++i) {
        waiting.push_back(open_on(c.node(i % 3)));
        join(waiting.back(), "text", {everyone[i]});
    }
    std::vector<ws_client> newcomers;
    for (int n = 0; n < 3; ++n) newcomers.push_back(open_on(c.node(n)));

    auto await_pool = [&](std::size_t count) {
        const auto deadline = std::chrono::steady_clock::now() + allowance(10s);
        while (c.pooled_waiters() != count && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(5ms);
        REQUIRE(c.pooled_waiters() == count);
    };
    await_pool(waiters);

    std::array<int, waiters> chosen{};
    std::array<bool, 3> joined{};
    for (int t = 0; t < trials; ++t) {
        const int n = t % 3;
        ws_client& newcomer = newcomers[n];
        if (!joined[n]) {
            join(newcomer, "text", everyone);
            joined[n] = true;
        } else {
            newcomer.send_json({{"type", "next"}});
            expect_type(newcomer, "waiting");
        }
        const auto matched = expect_type(newcomer, "matched");
        REQUIRE(matched["interests"].size() == 1);
        const int w = std::stoi(matched["interests"][0].get<std::string>().substr(1));
        ++chosen[w];
        expect_type(waiting[w], "matched");
        // The waiter goes back to the pool; the newcomer waits for its turn.
        waiting[w].send_json({{"type", "next"}});
        expect_type(waiting[w], "waiting");
        expect_type(newcomer, "partner_left");
        await_pool(waiters);
    }
    const double expected = static_cast<double>(trials) / waiters;
    double chi2 = 0;
    for (int count : chosen) chi2 += (count - expected) * (count - expected) / expected;
    INFO("chosen: " << chosen[0] << " " << chosen[1] << " " << chosen[2] << " " << chosen[3] << " "
                    << chosen[4] << " " << chosen[5] << ", chi-square " << chi2);
    // 5 degrees of freedom at p = 1e-6: the nodes draw from random_device,
    // so a correct pool fails this once in a million runs, while a pool
    // that favours the claimer's own node or the first waiter scores in the
    // hundreds.
    REQUIRE(chi2 < 35.888);
    for (auto& n : c.nodes) finish(*n);
}
