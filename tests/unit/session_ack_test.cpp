// Acknowledgements as the session applies them (PROTOCOL.md,
// Acknowledgements), what the session charges to the budget, eviction, and
// the place a session keeps through its resume grace.

#include "session_support.hpp"

using namespace onymous::test;
using onymous::protocol::close_code;

namespace {

json ack(std::uint64_t seq) { return {{"type", "ack"}, {"seq", seq}}; }

json candidate(int i) {
    return {{"type", "candidate"},
            {"candidate",
             {{"candidate",
               "candidate:" + std::to_string(i) + " 1 udp 2122260223 192.0.2.1 5000 typ host"},
              {"sdpMid", "0"}}}};
}

/// A place in the connection limits that says when it is released.
struct counted_place final : onymous::session::place {
    explicit counted_place(int& open) : open_(open) { ++open_; }
    ~counted_place() override { --open_; }
    int& open_;
};

}  // namespace

TEST_CASE("an ack trims the history; ack gets no answer in any state", "[session][ack]") {
    session_fixture f;
    auto [a, b] = paired(f, f.home1, f.home2);
    for (int i = 0; i < 10; ++i) b.say(candidate(i));
    f.run_all();
    CHECK(a.connection->take().size() == 10);
    const auto last = a.last_seq();
    f.home1.on([&] { CHECK(a.session->replay_history().size() == last); });

    a.say(ack(last - 3));
    f.home1.on([&] { CHECK(a.session->replay_history().size() == 3); });
    SECTION("a repeated or lower ack changes nothing") {
        a.say(ack(last - 3));
        a.say(ack(1));
        f.home1.on([&] { CHECK(a.session->replay_history().size() == 3); });
    }
    SECTION("an ack of the newest empties it") {
        a.say(ack(last));
        f.home1.on([&] {
            CHECK(a.session->replay_history().size() == 0);
            CHECK(a.session->account().bytes() == 0);
        });
    }
    CHECK(a.connection->take().empty());  // no answer
}

TEST_CASE("an ack above the highest seq sent is invalid_message", "[session][ack]") {
    session_fixture f;
    auto a = f.connect();
    a.say(ack(0));  // nothing sent yet, nothing acknowledged: fine
    a.say(ack(1));
    CHECK(a.connection->take() ==
          std::vector<json>{{{"type", "error"},
                             {"code", "invalid_message"},
                             {"message", "ack names a seq that was never sent"},
                             {"ref", "ack"}}});
    a.say({{"type", "join"}});
    CHECK(a.connection->take_types() == std::vector<std::string>{"waiting"});
    a.say(ack(1));
    a.say(ack(2));
    CHECK(a.connection->take_types() == std::vector<std::string>{"error"});
}

TEST_CASE("a resume after an ack replays only what followed it; before it, resume_failed",
          "[session][ack]") {
    session_fixture f;
    f.settings.limits.resume_grace = std::chrono::hours(1);
    auto [a, b] = paired(f, f.home1, f.home2);  // a: waiting 1, matched 2
    b.say(candidate(1));                        // 3
    b.say(candidate(2));                        // 4
    f.run_all();
    a.say(ack(3));
    a.drop();
    b.say(candidate(3));  // 5, in the grace
    f.run_all();

    SECTION("from the ack on") {
        auto again = f.connect();
        again.say(resume_message(a.token(), 3));
        f.run_all();
        const auto got = again.connection->take();
        REQUIRE(got.size() == 3);
        CHECK(got[0]["type"] == "resumed");
        CHECK(got[1]["seq"] == 4);
        CHECK(got[2]["seq"] == 5);
    }
    SECTION("from before it") {
        auto again = f.connect();
        again.say(resume_message(a.token(), 2));
        f.run_all();
        CHECK(again.connection->take_types() == std::vector<std::string>{"error"});
    }
}

TEST_CASE("resume.last_seq counts as an ack", "[session][ack]") {
    session_fixture f;
    f.settings.limits.resume_grace = std::chrono::hours(1);
    auto [a, b] = paired(f, f.home1, f.home2);
    b.say(candidate(1));  // 3
    f.run_all();
    a.drop();
    auto again = f.connect();
    again.say(resume_message(a.token(), 3));
    f.run_all();
    f.home1.on([&] { CHECK(a.session->replay_history().size() == 0); });
}

TEST_CASE("every byte a session charged is given back when it ends", "[session][budget]") {
    session_fixture f;
    {
        auto [a, b] = paired(f, f.home1, f.home2);
        for (int i = 0; i < 5; ++i) b.say(candidate(i));
        a.drop();  // the grace keeps the history
        for (int i = 5; i < 10; ++i) b.say(candidate(i));
        f.run_all();
        CHECK(f.context().budget.used() > 0);
        b.close();
        f.advance(std::chrono::milliseconds(10001));  // a's grace ends
    }
    CHECK(f.context().budget.used() == 0);
}

TEST_CASE("an evicted session ends at once with 1008; its partner hears partner_left",
          "[session][budget]") {
    session_fixture f;
    f.settings.limits.max_buffered_bytes = 64 * 1024;
    auto [a, b] = paired(f, f.home1, f.home2);
    for (int i = 0; i < 40; ++i) b.say(candidate(i));  // a never acks: a holds the most
    f.run_all();
    // One more relay to a passes the budget.
    auto& budget = f.context().budget;
    budget.set_limit(budget.used());
    b.say(candidate(99));
    f.run_all();
    CHECK(budget.evictions() == 1);
    CHECK(a.connection->closed_with == close_code::policy);
    CHECK(a.connection->closed_at_once);
    CHECK(b.connection->take_types().back() == "partner_left");
    f.home1.on([&] { CHECK(a.session->ended()); });
}

TEST_CASE("a session in its grace keeps its connection's place until it ends or resumes",
          "[session][grace]") {
    session_fixture f;
    int open = 0;
    auto a = f.connect();
    a.drop(std::make_shared<counted_place>(open));
    CHECK(open == 1);  // the grace holds it

    SECTION("until the grace ends") {
        f.advance(std::chrono::milliseconds(9999));
        CHECK(open == 1);
        f.advance(std::chrono::milliseconds(1));
        CHECK(open == 0);
    }
    SECTION("until a resume moves the session onto the new connection's place") {
        auto again = f.connect();
        again.say(resume_message(a.token(), 0));
        f.run_all();
        CHECK(open == 0);
    }
    SECTION("a clean close holds nothing") {
        auto b = f.connect();
        b.home->on([&] {
            b.session->transport_closed(b.connection, true, std::make_shared<counted_place>(open));
        });
        CHECK(open == 1);  // a's
    }
}
