// The per-connection limits as the session applies them (PROTOCOL.md: the
// order of checks, Client → server): the message bucket before parsing, the
// join bucket after draining and before the state table, the per-pairing
// caps last, and rate_limited counting toward the error budget.

#include "session_support.hpp"

#include <onymous/relay/connection_limits.hpp>

using namespace onymous;
using namespace onymous::test;
using namespace std::chrono_literals;

namespace {

json rate_limited(std::string_view message, std::string_view ref = {}) {
    json e{{"type", "error"}, {"code", "rate_limited"}, {"message", message}};
    if (!ref.empty()) e["ref"] = ref;
    return e;
}

json host_candidate(int n) {
    return {{"type", "candidate"},
            {"candidate",
             {{"candidate", "candidate:" + std::to_string(n) + " 1 udp 1 192.0.2.1 9 typ host"},
              {"sdpMid", "0"}}}};
}

const json video_offer = {{"type", "offer"},
                          {"sdp", "v=0\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"}};

/// Lifts every limit but the ones a test sets.
void unlimited(session_fixture& f) {
    auto& l = f.settings.limits;
    l.messages_per_second = l.burst = l.joins_per_second = l.join_burst = 1000000;
    l.pair_max_offers = l.pair_max_candidates = l.max_errors = 1000000;
}

}  // namespace

TEST_CASE("the message bucket refuses before parsing: garbage gets rate_limited",
          "[session][limits]") {
    session_fixture f;
    unlimited(f);
    f.settings.limits.messages_per_second = 2;
    f.settings.limits.burst = 3;
    auto a = f.connect();
    auto other = f.connect();
    for (int i = 0; i < 3; ++i) a.say_text("{oops");
    for (const auto& e : a.connection->take()) CHECK(e.at("code") == "bad_json");
    // Empty: not parsed any more, so no bad_json and no ref; a valid join
    // does nothing either.
    a.say_text("{oops");
    a.say({{"type", "join"}});
    a.say({{"type", "ping"}});
    CHECK(a.connection->take() == std::vector<json>(3, rate_limited(relay::too_many_messages)));
    f.home1.on([&] { CHECK(a.session->current_state() == session::state::idle); });
    // Another connection has a bucket of its own.
    other.say({{"type", "ping"}});
    CHECK(other.connection->take_types() == std::vector<std::string>{"pong"});
    // Two tokens a second: one after 500 ms, not before.
    f.advance(499ms);
    a.say({{"type", "ping"}});
    CHECK(a.connection->take() == std::vector<json>{rate_limited(relay::too_many_messages)});
    f.advance(1ms);
    a.say({{"type", "ping"}});
    CHECK(a.connection->take_types() == std::vector<std::string>{"pong"});
}

TEST_CASE("rate_limited counts toward the error budget: 1008 when spent", "[session][limits]") {
    session_fixture f;
    unlimited(f);
    f.settings.limits.burst = 1;
    f.settings.limits.messages_per_second = 1;
    f.settings.limits.max_errors = 3;
    auto a = f.connect();
    a.say({{"type", "ping"}});
    a.say({{"type", "ping"}});
    a.say({{"type", "ping"}});
    CHECK_FALSE(a.connection->closed_with);
    a.say({{"type", "ping"}});  // the third error within 10 s
    CHECK(a.connection->take_types() ==
          std::vector<std::string>{"pong", "error", "error", "error"});
    CHECK(a.connection->closed_with == protocol::close_code::policy);
    f.home1.on([&] { CHECK(a.session->ended()); });
}

TEST_CASE("the join bucket limits join and next, after draining, before bad_state",
          "[session][limits]") {
    session_fixture f;
    unlimited(f);
    f.settings.limits.joins_per_second = 1;
    f.settings.limits.join_burst = 2;
    auto a = f.connect();
    a.say({{"type", "join"}});
    a.say({{"type", "next"}});
    CHECK(a.connection->take_types() == std::vector<std::string>{"waiting", "waiting"});
    // Empty: refused before the state table (a join while waiting would be
    // bad_state), and nothing happens.
    a.say({{"type", "next"}});
    a.say({{"type", "join"}});
    CHECK(a.connection->take() == std::vector<json>{rate_limited(relay::too_many_joins, "next"),
                                                    rate_limited(relay::too_many_joins, "join")});
    // Other messages are not limited by it.
    a.say({{"type", "leave"}});
    CHECK(a.connection->take_types() == std::vector<std::string>{"left"});
    f.advance(1s);
    a.say({{"type", "join"}});
    CHECK(a.connection->take_types() == std::vector<std::string>{"waiting"});
    // Draining comes first, and costs no join token.
    f.advance(1s);
    f.context().draining = true;
    a.say({{"type", "next"}});
    CHECK(a.connection->take().at(0).at("code") == "draining");
    f.context().draining = false;
    a.say({{"type", "next"}});
    CHECK(a.connection->take_types() == std::vector<std::string>{"waiting"});
}

TEST_CASE("the per-pairing caps hold in each direction and start over with a new pairing",
          "[session][limits]") {
    session_fixture f;
    unlimited(f);
    f.settings.limits.pair_max_offers = 2;
    f.settings.limits.pair_max_candidates = 3;
    auto [a, b] = paired(f, f.home1, f.home2);

    // Offers and answers share one cap; text-mode refusals come first and
    // are not counted.
    a.say(video_offer);
    CHECK(a.connection->take().at(0).at("code") == "invalid_sdp");
    a.say(text_offer);
    json text_answer = text_offer;
    text_answer["type"] = "answer";
    a.say(text_answer);
    a.say(text_offer);
    a.say(text_answer);
    CHECK(a.connection->take() ==
          std::vector<json>{rate_limited(relay::too_many_offers, "offer"),
                            rate_limited(relay::too_many_offers, "answer")});
    f.run_all();
    CHECK(b.connection->take_types() == std::vector<std::string>{"offer", "answer"});

    // Candidates: end-of-candidates is relayed and never counted.
    for (int i = 1; i <= 3; ++i) {
        a.say(host_candidate(i));
        a.say({{"type", "candidate"}, {"candidate", nullptr}});
        a.say({{"type", "candidate"}, {"candidate", {{"candidate", ""}, {"sdpMid", "0"}}}});
    }
    a.say(host_candidate(4));
    a.say({{"type", "candidate"}, {"candidate", nullptr}});
    CHECK(a.connection->take() ==
          std::vector<json>{rate_limited(relay::too_many_candidates, "candidate")});
    f.run_all();
    CHECK(b.connection->take_types() == std::vector<std::string>(10, "candidate"));

    // The other direction has its own count.
    b.say(text_offer);
    b.say(text_answer);
    b.say(host_candidate(1));
    f.run_all();
    CHECK(b.connection->take().empty());
    CHECK(a.connection->take_types() == std::vector<std::string>{"offer", "answer", "candidate"});

    // A new pairing starts from zero.
    auto c = f.connect(f.home2);
    a.say({{"type", "next"}});
    c.say({{"type", "join"}, {"mode", "text"}});
    f.run_all();
    CHECK(a.connection->take_types() == std::vector<std::string>{"waiting", "matched"});
    a.say(text_offer);
    a.say(text_offer);
    for (int i = 1; i <= 3; ++i) a.say(host_candidate(i));
    CHECK(a.connection->take().empty());
    f.run_all();
    CHECK(c.connection->take_types() == std::vector<std::string>{"waiting", "matched", "offer",
                                                                 "offer", "candidate", "candidate",
                                                                 "candidate"});
}

TEST_CASE("relays dropped silently after a pairing ended are no error", "[session][limits]") {
    session_fixture f;
    unlimited(f);
    f.settings.limits.pair_max_offers = 1;
    f.settings.limits.pair_max_candidates = 1;
    auto [a, b] = paired(f, f.home1, f.home2);
    b.say({{"type", "leave"}});
    f.run_all();
    CHECK(a.connection->take_types() == std::vector<std::string>{"partner_left"});
    // Inside the trickle grace: dropped, never rate_limited, whatever the caps.
    for (int i = 0; i < 5; ++i) {
        a.say(text_offer);
        a.say(host_candidate(i));
    }
    CHECK(a.connection->take().empty());
}
