// Matching end to end (PROTOCOL.md: Matching; issue 3): a crowd joining at
// once is paired exactly once, modes never cross, interests pair the right
// people and fall back after interest_timeout without a new arrival, the
// partner is not chosen first-in first-out, and the rematch cooldown holds
// and then expires without a new arrival.

#include "helpers.hpp"

#include <algorithm>
#include <map>
#include <set>

using namespace onymous::test;

namespace {

std::set<std::string> as_set(const json& array) {
    std::set<std::string> out;
    for (const auto& item : array) out.insert(item.get<std::string>());
    return out;
}

std::set<std::string> common(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::set<std::string> out;
    for (const auto& item : a)
        if (std::find(b.begin(), b.end(), item) != b.end()) out.insert(item);
    return out;
}

}  // namespace

TEST_CASE("200 clients joining at once are all paired exactly once, within their mode",
          "[matching_test][e2e]") {
    daemon_process daemon({{"matching.interest_timeout", "300ms"}});
    constexpr int count = 200;
    const std::vector<std::vector<std::string>> interest_sets = {
        {}, {"music"}, {"chess"}, {"music", "chess"}, {"films"}, {}, {"go"}};
    std::vector<ws_client> clients;
    std::vector<std::string> modes;
    std::vector<std::vector<std::string>> interests;
    for (int i = 0; i < count; ++i) {
        connect_options options;
        options.tls = i % 3 != 0;
        clients.push_back(open_client(daemon, options));
        modes.push_back(i % 2 == 0 ? "text" : "video");
        interests.push_back(interest_sets[static_cast<std::size_t>(i) % interest_sets.size()]);
    }
    // All joins first, then all reads.
    for (int i = 0; i < count; ++i) clients[i].send_json(join_message(modes[i], interests[i]));
    std::vector<json> matched(count);
    for (int i = 0; i < count; ++i) {
        expect_message(clients[i], {{"type", "waiting"}});
        matched[i] = expect_type(clients[i], "matched", 15s);
    }
    // Each offerer relays a marker naming itself; whoever receives it is its partner.
    std::vector<int> offerers;
    for (int i = 0; i < count; ++i)
        if (matched[i]["role"] == "offerer") {
            offerers.push_back(i);
            clients[i].send_json(
                {{"type", "offer"}, {"sdp", text_sdp(std::to_string(100000 + i))}});
        }
    REQUIRE(offerers.size() == count / 2);
    std::map<int, int> partner_of;
    for (int i = 0; i < count; ++i) {
        if (matched[i]["role"] == "offerer") continue;
        REQUIRE(matched[i]["role"] == "answerer");
        const auto offer = expect_type(clients[i], "offer", 10s);
        int sender = -1;
        for (const int candidate : offerers)
            if (offer["sdp"] == text_sdp(std::to_string(100000 + candidate))) sender = candidate;
        INFO("answerer " << i << " received " << offer.dump());
        REQUIRE(sender >= 0);
        REQUIRE(partner_of.count(sender) == 0);  // no offerer has two partners
        partner_of[sender] = i;
        partner_of[i] = sender;
        // Same mode, and the interests reported are exactly the common ones.
        INFO("pair " << sender << " (" << modes[sender] << ") and " << i << " (" << modes[i]
                     << ")");
        REQUIRE(modes[sender] == modes[i]);
        REQUIRE(as_set(matched[i]["interests"]) == as_set(matched[sender]["interests"]));
        REQUIRE(as_set(matched[i]["interests"]) == common(interests[i], interests[sender]));
        // The answer reaches the offerer: the relation is symmetric.
        clients[i].send_json({{"type", "answer"}, {"sdp", text_sdp(std::to_string(200000 + i))}});
    }
    REQUIRE(partner_of.size() == count);  // a perfect matching
    for (const int i : offerers)
        expect_message(clients[i], {{"type", "answer"},
                                    {"sdp", text_sdp(std::to_string(200000 + partner_of[i]))}});
    // Nobody got anything else (a second matched, a stray relay).
    REQUIRE(clients[0].expect_silence(300ms));
    for (auto& client : clients) REQUIRE(client.pending() == 0);
    finish(daemon);
}

TEST_CASE("text and video waiters are never paired with each other", "[matching_test][e2e]") {
    daemon_process daemon(
        {{"matching.interest_timeout", "200ms"}, {"matching.rematch_cooldown", "0s"}});
    auto text = open_client(daemon);
    auto video = open_client(daemon);
    join(text, "text");
    join(video, "video");
    REQUIRE(text.expect_silence(700ms));
    REQUIRE(video.pending() == 0);
    auto text2 = open_client(daemon);
    join(text2, "text");
    expect_pairing(text, text2);
    REQUIRE(video.expect_silence(300ms));
    auto video2 = open_client(daemon);
    join(video2, "");  // the default mode is video
    expect_pairing(video, video2);
    finish(daemon);
}

TEST_CASE("interests pair the people who share one", "[matching_test][e2e]") {
    daemon_process daemon({{"matching.interest_timeout", "10s"}});
    for (int round = 0; round < 3; ++round) {
        auto a = open_client(daemon);
        auto b = open_client(daemon);
        auto c = open_client(daemon);
        auto d = open_client(daemon);
        join(a, "text", {"music", "film"});
        join(b, "text", {"chess"});
        join(c, "text", {"Chess", "poetry"});  // shares only with b
        join(d, "text", {"FILM "});            // shares only with a
        const auto bc = expect_pairing(b, c);
        REQUIRE(bc.a_matched["interests"] == json::array({"chess"}));
        const auto ad = expect_pairing(a, d);
        REQUIRE(ad.a_matched["interests"] == json::array({"film"}));
    }
    // A waiter without interests is not taken from inside another's window,
    // and meets another interest-free waiter at once.
    auto musical = open_client(daemon);
    join(musical, "video", {"music"});
    auto plain = open_client(daemon);
    join(plain, "video");
    REQUIRE(plain.expect_silence(500ms));
    auto plain2 = open_client(daemon);
    join(plain2, "video");
    const auto plains = expect_pairing(plain, plain2);
    REQUIRE(plains.a_matched["interests"] == json::array());
    REQUIRE(musical.pending() == 0);
    finish(daemon);
}

TEST_CASE("the partner is chosen at random among the eligible waiters", "[matching_test][e2e]") {
    // Three waiters with disjoint interests (long window) and a fourth that
    // shares one with each: first-in first-out would always pick the first.
    // Fifteen trials all picking the same one happen with probability
    // 3 * 3^-15 (about 2e-7) if the choice is uniform.
    daemon_process daemon({{"matching.interest_timeout", "30s"}});
    std::map<int, int> picked;
    for (int trial = 0; trial < 15; ++trial) {
        std::vector<ws_client> waiters;
        const std::vector<std::string> tags = {"t" + std::to_string(trial) + "a",
                                               "t" + std::to_string(trial) + "b",
                                               "t" + std::to_string(trial) + "c"};
        for (const auto& tag : tags) {
            waiters.push_back(open_client(daemon));
            join(waiters.back(), "text", {tag});
        }
        auto chooser = open_client(daemon);
        join(chooser, "text", tags);
        const auto matched = expect_type(chooser, "matched");
        REQUIRE(matched["interests"].size() == 1);
        const auto tag = matched["interests"][0].get<std::string>();
        const auto index =
            static_cast<int>(std::find(tags.begin(), tags.end(), tag) - tags.begin());
        REQUIRE(index < 3);
        expect_type(waiters[static_cast<std::size_t>(index)], "matched");
        ++picked[index];
        for (int other = 0; other < 3; ++other)
            if (other != index) REQUIRE(waiters[static_cast<std::size_t>(other)].pending() == 0);
    }
    INFO("first waiter picked " << picked[0] << ", second " << picked[1] << ", third "
                                << picked[2]);
    REQUIRE(picked.size() >= 2);
    finish(daemon);
}

TEST_CASE("interests fall back to anyone after interest_timeout, without a new arrival",
          "[matching_test][e2e]") {
    ONYMOUS_REQUIRE_TIMING_BUILD();
    daemon_process daemon({{"matching.interest_timeout", "1s"}});
    // Disjoint interests: not before the windows end, then with each other.
    // Every window starts after `start`, so start + 500 ms is inside them.
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    auto start = std::chrono::steady_clock::now();
    join(a, "text", {"music"});
    join(b, "text", {"chess"});
    REQUIRE(a.expect_silence(
        std::chrono::duration_cast<duration>(start + 500ms - std::chrono::steady_clock::now())));
    REQUIRE(b.pending() == 0);
    const auto pairing = expect_pairing(a, b, 5s);
    REQUIRE(pairing.a_matched["interests"] == json::array());

    // Interests against none: the interest-free one waits for the window.
    auto c = open_client(daemon);
    auto d = open_client(daemon);
    start = std::chrono::steady_clock::now();
    join(c, "video", {"music"});
    join(d, "video");
    REQUIRE(d.expect_silence(
        std::chrono::duration_cast<duration>(start + 500ms - std::chrono::steady_clock::now())));
    REQUIRE(c.pending() == 0);
    const auto fallback = expect_pairing(c, d, 5s);
    REQUIRE(fallback.a_matched["interests"] == json::array());
    finish(daemon);
}

TEST_CASE("after next the same two are not re-matched inside rematch_cooldown, and are after it",
          "[matching_test][e2e]") {
    ONYMOUS_REQUIRE_TIMING_BUILD();
    daemon_process daemon(
        {{"matching.rematch_cooldown", "1500ms"}, {"matching.interest_timeout", "300ms"}});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    for (int round = 0; round < 2; ++round) {
        INFO("round " << round);
        // The cooldown starts when the server handles next, after `sent`.
        const auto sent = std::chrono::steady_clock::now();
        a.send_json({{"type", "next"}});
        expect_message(a, {{"type", "waiting"}});
        expect_message(b, {{"type", "partner_left"}});
        b.send_json({{"type", "next"}});
        expect_message(b, {{"type", "waiting"}});
        // The only two waiters, but each other's partner of a moment ago.
        const auto quiet =
            std::chrono::duration_cast<duration>(sent + 750ms - std::chrono::steady_clock::now());
        REQUIRE(quiet > 0ms);
        REQUIRE(a.expect_silence(quiet));
        REQUIRE(b.pending() == 0);
        // Once it expires they meet, with nobody new arriving.
        expect_pairing(a, b, 5s);
    }

    // The cooldown keeps only those two apart: a newcomer meets either at once.
    a.send_json({{"type", "next"}});
    expect_message(a, {{"type", "waiting"}});
    expect_message(b, {{"type", "partner_left"}});
    b.send_json({{"type", "next"}});
    expect_message(b, {{"type", "waiting"}});
    auto c = open_client(daemon);
    join(c);
    const auto matched = expect_type(c, "matched", 1s);
    ws_client* partner = nullptr;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (partner == nullptr && std::chrono::steady_clock::now() < deadline) {
        if (a.pending() > 0)
            partner = &a;
        else if (b.expect_silence(20ms) == false)
            partner = &b;
    }
    REQUIRE(partner != nullptr);
    const auto other = expect_type(*partner, "matched");
    REQUIRE(other["role"] != matched["role"]);
    finish(daemon);
}
