// Draining (PROTOCOL.md, Draining) on the session alone.

#include "session_support.hpp"

using namespace onymous;
using namespace onymous::test;

namespace {

void drain_all(session_fixture& f) {
    f.context().draining = true;
    for (auto* h : {&f.home1, &f.home2}) {
        h->on([&] {
            std::vector<std::shared_ptr<session::signaling_session>> live;
            for (auto& [raw, weak] : h->sessions())
                if (auto s = weak.lock()) live.push_back(s);
            for (auto& s : live) s->drain();
        });
    }
    f.run_all();
}

}  // namespace

TEST_CASE("draining closes idle and waiting sessions now, paired ones when the pairing ends",
          "[session][drain]") {
    session_fixture f;
    auto idle = f.connect();
    auto waiting = f.connect();
    waiting.say({{"type", "join"}, {"mode", "video"}});
    auto a = f.connect();
    auto b = f.connect();
    a.say({{"type", "join"}, {"mode", "text"}});
    b.say({{"type", "join"}, {"mode", "text"}});
    f.run_all();
    for (auto* c : {&idle, &waiting, &a, &b}) c->connection->take();

    drain_all(f);
    CHECK(idle.connection->take() == std::vector<json>{{{"type", "draining"}, {"seq", 1}}});
    CHECK(idle.connection->closed_with == protocol::close_code::going_away);
    CHECK(waiting.connection->take() == std::vector<json>{{{"type", "draining"}, {"seq", 2}}});
    CHECK(waiting.connection->closed_with == protocol::close_code::going_away);
    CHECK(a.connection->take() == std::vector<json>{{{"type", "draining"}, {"seq", 3}}});
    CHECK_FALSE(a.connection->closed_with);

    // join and next get draining, before bad_state; the pairing goes on.
    a.say({{"type", "join"}});
    a.say({{"type", "next"}});
    auto refused = a.connection->take();
    REQUIRE(refused.size() == 2);
    CHECK(refused[0] == json{{"type", "error"},
                             {"code", "draining"},
                             {"message", "the server is shutting down"},
                             {"ref", "join"}});
    CHECK(refused[1].at("ref") == "next");
    a.say(text_offer);
    f.run_all();
    CHECK(b.connection->take_types() == std::vector<std::string>{"draining", "offer"});

    // leave works, and then the session closes; its partner's too.
    a.say({{"type", "leave"}});
    f.run_all();
    CHECK(a.connection->take_types() == std::vector<std::string>{"left"});
    CHECK(a.connection->closed_with == protocol::close_code::going_away);
    CHECK(b.connection->take_types() == std::vector<std::string>{"partner_left"});
    CHECK(b.connection->closed_with == protocol::close_code::going_away);
    CHECK(f.context().counters.live == 0);
}

TEST_CASE("a paired session resumes while the server drains", "[session][drain][resume]") {
    session_fixture f;
    auto [a, b] = paired(f, f.home1, f.home1);
    a.drop();
    // The resume was read on another worker just before the drain began;
    // the drain reaches both sessions before the older one has answered.
    auto again = f.connect(f.home2);
    again.say(resume_message(a.token(), 2));
    REQUIRE(f.home1.queue.size() == 1);  // the take-over, posted
    f.context().draining = true;
    for (auto* h : {&f.home1, &f.home2})
        h->on([&] {
            for (auto& [raw, weak] : h->sessions())
                if (auto s = weak.lock()) s->drain();
        });
    f.run_all();

    // The paired session kept its pairing through the drain and is back,
    // with the draining it was sent in its grace replayed.
    const auto got = again.connection->take();
    REQUIRE(got.size() == 2);
    CHECK(got[0].at("type") == "resumed");
    CHECK(got[0].at("state") == "paired");
    CHECK(got[1] == json{{"type", "draining"}, {"seq", 3}});
    CHECK_FALSE(again.connection->closed_with);
    CHECK(b.connection->take_types() == std::vector<std::string>{"draining"});

    // The pairing ends: both go, with 1001.
    b.say({{"type", "leave"}});
    f.run_all();
    CHECK(again.connection->take_types() == std::vector<std::string>{"partner_left"});
    CHECK(again.connection->closed_with == protocol::close_code::going_away);
    CHECK(b.connection->closed_with == protocol::close_code::going_away);
    CHECK(f.context().counters.live == 0);
}

TEST_CASE("a session that starts while the server drains is told and closed", "[session][drain]") {
    session_fixture f;
    f.context().draining = true;
    auto late = f.connect();
    CHECK(late.connection->take() == std::vector<json>{{{"type", "draining"}, {"seq", 1}}});
    CHECK(late.connection->closed_with == protocol::close_code::going_away);
}
