// The per-session state machine without sockets: relays, pair ids, seq and
// the error budget, with the interleavings of threads chosen by the test.

#include "session_support.hpp"

using namespace onymous;
using namespace onymous::test;

TEST_CASE("a relay that overtakes the partner's matched is held until it arrives", "[session]") {
    session_fixture f;
    auto a = f.connect(f.home1);
    auto b = f.connect(f.home2);
    a.say({{"type", "join"}, {"mode", "text"}});
    b.say({{"type", "join"}, {"mode", "text"}});
    // The matcher posted matched to both; A hears first and sends at once,
    // before B has run its own matched.
    f.home1.run_all();
    REQUIRE(a.connection->take_types() == std::vector<std::string>{"waiting", "matched"});
    a.say(text_offer);
    REQUIRE(f.home2.queue.size() == 2);                      // matched, then the relayed offer
    std::swap(f.home2.queue.front(), f.home2.queue.back());  // the offer overtakes
    f.home2.run_all();
    REQUIRE(b.connection->take_types() == std::vector<std::string>{"waiting", "matched", "offer"});
}

TEST_CASE("a matched overtaken by the session's own leave is discarded", "[session]") {
    session_fixture f;
    auto a = f.connect(f.home1);
    auto b = f.connect(f.home2);
    a.say({{"type", "join"}, {"mode", "text"}});
    b.say({{"type", "join"}, {"mode", "text"}});
    f.home1.run_all();
    a.say(text_offer);
    b.say({{"type", "leave"}});  // sent before B saw matched
    f.home2.run_all();
    REQUIRE(b.connection->take_types() == std::vector<std::string>{"waiting", "left"});
    f.home1.run_all();
    REQUIRE(a.connection->take_types() ==
            std::vector<std::string>{"waiting", "matched", "partner_left"});
}

TEST_CASE("nothing of an ended pairing reaches the next partner", "[session]") {
    session_fixture f;
    auto a = f.connect(f.home1);
    auto b = f.connect(f.home2);
    a.say({{"type", "join"}});
    b.say({{"type", "join"}});
    f.run_all();
    a.connection->take_types();
    b.connection->take_types();
    // A's offer is in flight to B when B moves on and is paired with C.
    a.say({{"type", "offer"}, {"sdp", "v=0\r\ns=-\r\n"}});
    auto in_flight = std::move(f.home2.queue);
    f.home2.queue.clear();
    b.say({{"type", "next"}});
    auto c = f.connect(f.home2);
    c.say({{"type", "join"}});
    f.run_all();
    f.home2.on([&] {
        for (auto& fn : in_flight) fn();
    });
    REQUIRE(b.connection->take_types() == std::vector<std::string>{"waiting", "matched"});
    REQUIRE(c.connection->take_types() == std::vector<std::string>{"waiting", "matched"});
}

TEST_CASE("seq counts every sequenced message from 1", "[session]") {
    session_fixture f;
    auto a = f.connect();
    a.say({{"type", "ping"}});
    a.say({{"type", "join"}});
    a.say({{"type", "leave"}});
    a.say({{"type", "bogus"}});
    const auto sent = a.connection->take();
    REQUIRE(sent.size() == 4);
    CHECK(sent[0] == json{{"type", "pong"}});
    CHECK(sent[1] == json{{"type", "waiting"}, {"seq", 1}});
    CHECK(sent[2] == json{{"type", "left"}, {"seq", 2}});
    CHECK(sent[3].at("code") == "unknown_type");
    CHECK_FALSE(sent[3].contains("seq"));
}

TEST_CASE("the error budget closes with 1008 when spent, and the session ends at once",
          "[session]") {
    session_fixture f;
    f.settings.limits.max_errors = 3;
    auto a = f.connect();
    auto b = f.connect();
    a.say({{"type", "join"}});
    b.say({{"type", "join"}});
    f.run_all();
    b.connection->take_types();
    a.say_text("{");
    a.say_text("[]");
    CHECK_FALSE(a.connection->closed_with);
    a.say_text("{\"type\":\"offer\"}");
    REQUIRE(a.connection->closed_with == protocol::close_code::policy);
    REQUIRE(a.connection->take_types() ==
            std::vector<std::string>{"waiting", "matched", "error", "error", "error"});
    f.home1.on([&] { CHECK(a.session->ended()); });
    f.run_all();
    REQUIRE(b.connection->take_types() == std::vector<std::string>{"partner_left"});
}

TEST_CASE("relayed messages arrive byte for byte with the receiver's seq", "[session]") {
    session_fixture f;
    auto [a, b] = paired(f, f.home1, f.home2);
    a.say({{"type", "candidate"},
           {"candidate",
            {{"candidate", "candidate:1 1 udp 1 192.0.2.1 9 typ host"},
             {"sdpMid", "0"},
             {"extra", 1}}}});
    a.say({{"type", "candidate"}, {"candidate", nullptr}});
    f.run_all();
    const auto got = b.connection->take();
    REQUIRE(got.size() == 2);
    CHECK(got[0] == json{{"type", "candidate"},
                         {"candidate",
                          {{"candidate", "candidate:1 1 udp 1 192.0.2.1 9 typ host"},
                           {"sdpMid", "0"},
                           {"sdpMLineIndex", nullptr}}},
                         {"seq", 3}});
    CHECK(got[1] == json{{"type", "candidate"}, {"candidate", nullptr}, {"seq", 4}});
}

TEST_CASE("a client's close frame ends the session at once: no grace", "[session]") {
    session_fixture f;
    auto [a, b] = paired(f, f.home1, f.home1);
    const auto token = a.token();
    a.close();
    f.run_all();
    REQUIRE(b.connection->take_types() == std::vector<std::string>{"partner_left"});
    auto again = f.connect();
    again.say(resume_message(token, 0));
    const auto answer = again.connection->take();
    REQUIRE(answer.size() == 1);
    CHECK(answer[0].at("code") == "resume_failed");
}

TEST_CASE("an exception in one session's handling closes it alone with 1011", "[session]") {
    session_fixture f;
    auto [a, b] = paired(f, f.home1, f.home2);
    auto other = f.connect(f.home1);
    a.connection->fail_next_send = true;
    b.say(text_offer);  // reaches a, whose connection throws on it
    f.run_all();
    CHECK(a.connection->closed_with == protocol::close_code::internal_error);
    CHECK(f.context().counters.internal_errors_total == 1);
    f.home1.on([&] { CHECK(a.session->ended()); });
    CHECK(b.connection->take_types() == std::vector<std::string>{"partner_left"});
    // Everyone else goes on.
    other.say({{"type", "ping"}});
    CHECK(other.connection->take_types() == std::vector<std::string>{"pong"});
    b.say({{"type", "next"}});
    CHECK(b.connection->take_types() == std::vector<std::string>{"waiting"});
}
