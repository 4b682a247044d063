// What Redis holds in cluster mode names nobody (issue 18, Privacy): a scan
// and a DUMP of every key of a running cluster with waiting and chatting
// clients finds no address, token, interest or payload, and every key about
// a waiter, a node or a pair expires by itself.

#include "cluster_fixture.hpp"
#include "lifecycle.hpp"

#include <sstream>

using namespace onymous::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("a scan and DUMP of Redis reveal nothing about users",
          "[cluster_privacy_test][cluster]") {
    cluster c({.nodes = 2, .rematch_cooldown = "60s"});
    std::vector<ws_client> waiting;
    std::vector<std::string> tokens;
    for (int i = 0; i < 4; ++i) {
        waiting.push_back(open_on(c.node(i % 2)));
        tokens.push_back(hello_token(waiting.back()));
        join(waiting.back(), "video", {"secretinterest" + std::to_string(i)});
    }
    auto a = open_on(c.node(0));
    auto b = open_on(c.node(1));
    tokens.push_back(hello_token(a));
    tokens.push_back(hello_token(b));
    const auto pairing = pair(a, b, "text", {"sharedsecretword"}, {"sharedsecretword"});
    pairing.offerer(a, b).send_json(offer_message(text_sdp("sdpsecretmarker")));
    expect_type(pairing.answerer(a, b), "offer");
    // A pair that ended leaves its cooldown behind.
    a.send_json({{"type", "leave"}});
    expect_type(a, "left");
    expect_type(b, "partner_left");

    const auto keys = lines_of(c.redis.cli({"--scan", "--pattern", "*"}));
    REQUIRE(keys.size() > 4);
    bool saw_waiter = false, saw_cooldown = false;
    for (const auto& key : keys) {
        INFO("key " << key);
        REQUIRE(key.starts_with("test:"));
        saw_waiter = saw_waiter || key.starts_with("test:w:");
        saw_cooldown = saw_cooldown || key.starts_with("test:cd:");
        const std::string dump = key + "\n" + c.redis.cli({"DUMP", key});
        for (const char* secret : {"secret", "127.0.0.1", "sdp", "candidate", "v=0", "Mozilla"})
            REQUIRE(dump.find(secret) == std::string::npos);
        for (const auto& token : tokens) REQUIRE(dump.find(token) == std::string::npos);
        // Only the pair counter and the generation outlive the nodes: two
        // numbers about the deployment, nothing about a user.
        if (key != "test:pairs" && key != "test:generation")
            REQUIRE(std::stoll(c.redis.cli({"PTTL", key})) > 0);
    }
    REQUIRE(saw_waiter);
    REQUIRE(saw_cooldown);
    for (auto& n : c.nodes) finish(*n);
}
