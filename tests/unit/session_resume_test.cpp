// Resume (PROTOCOL.md, Resume) on the session alone: a drop starts the
// grace, a resume takes the session back with a replay of exactly what the
// client lacks, tokens work once, a takeover closes the old connection with
// 4000, and an expired grace tells the partner.

#include "session_support.hpp"

using namespace onymous;
using namespace onymous::test;
using namespace std::chrono_literals;

namespace {

json offer_with(const std::string& marker) {
    return {
        {"type", "offer"},
        {"sdp",
         "v=0\r\no=- " + marker +
             " 2 IN IP4 0.0.0.0\r\ns=-\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"}};
}

/// The resumed answer on `c`'s connection: checks its shape, returns it.
json expect_resumed(client& c, const std::string& state) {
    const auto got = c.connection->take();
    REQUIRE_FALSE(got.empty());
    const json& resumed = got.front();
    REQUIRE(resumed.at("type") == "resumed");
    REQUIRE(resumed.at("state") == state);
    REQUIRE_FALSE(resumed.contains("seq"));
    REQUIRE(resumed.at("resume").get<std::string>().size() == 22);
    return resumed;
}

void expect_resume_failed(client& c) {
    const auto got = c.connection->take();
    REQUIRE(got.size() == 1);
    CHECK(got[0] == json{{"type", "error"},
                         {"code", "resume_failed"},
                         {"message", "the session cannot be resumed"},
                         {"ref", "resume"}});
}

}  // namespace

TEST_CASE("a dropped idle session resumes: resumed, nothing to replay", "[session][resume]") {
    session_fixture f;
    auto a = f.connect();
    a.say({{"type", "leave"}});  // seq 1: left
    const auto token = a.token();
    a.drop();
    f.home1.on([&] { CHECK(a.session->in_grace()); });
    CHECK(f.context().counters.in_grace == 1);

    auto again = f.connect();
    again.say(resume_message(token, 1));
    const auto resumed = expect_resumed(again, "idle");
    CHECK_FALSE(resumed.contains("role"));
    CHECK(resumed.at("resume") != token);
    REQUIRE(again.connection->attached == a.session);
    CHECK(f.context().counters.in_grace == 0);
    CHECK(f.context().counters.live == 1);  // the fresh session that handed over is gone
    // The session goes on over the new connection, seq continuing.
    again.say({{"type", "join"}});
    CHECK(again.connection->take() == std::vector<json>{{{"type", "waiting"}, {"seq", 2}}});
}

TEST_CASE("the replay is exactly the messages after last_seq, in order, with their seq",
          "[session][resume]") {
    session_fixture f;
    auto [a, b] = paired(f, f.home1, f.home2);  // a: waiting 1, matched 2
    b.say(offer_with("3"));
    f.run_all();  // a: offer 3
    a.drop();
    b.say(offer_with("4"));
    b.say({{"type", "candidate"}, {"candidate", nullptr}});
    f.run_all();  // a, in the grace: offer 4, candidate 5

    SECTION("from what the client has") {
        auto again = f.connect();
        again.say(resume_message(a.token(), 3));
        const auto resumed = expect_resumed(again, "paired");
        CHECK(resumed.contains("role"));
        // expect_resumed took everything; look at what came after it.
        std::vector<std::uint64_t> seqs;
        for (const auto& m : again.connection->frames)
            if (m.contains("seq")) seqs.push_back(m["seq"]);
        CHECK(seqs == std::vector<std::uint64_t>{4, 5});
        const auto& frames = again.connection->frames;
        CHECK(frames[frames.size() - 2].at("sdp").get<std::string>().find("o=- 4 ") !=
              std::string::npos);
        CHECK(frames.back() == json{{"type", "candidate"}, {"candidate", nullptr}, {"seq", 5}});
    }
    SECTION("from further back: what the old connection may have lost is sent again") {
        auto again = f.connect();
        again.say(resume_message(a.token(), 1));
        expect_resumed(again, "paired");
        std::vector<std::uint64_t> seqs;
        for (const auto& m : again.connection->frames)
            if (m.contains("seq")) seqs.push_back(m["seq"]);
        CHECK(seqs == std::vector<std::uint64_t>{2, 3, 4, 5});
    }
    SECTION("and the chat goes on both ways") {
        auto again = f.connect();
        again.say(resume_message(a.token(), 5));
        expect_resumed(again, "paired");
        again.say(offer_with("6"));
        b.say(offer_with("7"));
        f.run_all();
        const auto at_b = b.connection->take();
        REQUIRE(at_b.size() == 1);
        CHECK(at_b[0].at("sdp").get<std::string>().find("o=- 6 ") != std::string::npos);
        const auto at_a = again.connection->take();
        REQUIRE(at_a.size() == 1);
        CHECK(at_a[0].at("seq") == 6);
    }
}

TEST_CASE("a waiting session is not matched in its grace, and is once it resumes",
          "[session][resume]") {
    session_fixture f;
    auto a = f.connect();
    a.say({{"type", "join"}});
    a.drop();
    auto b = f.connect();
    b.say({{"type", "join"}});
    f.run_all();
    CHECK(b.connection->take_types() == std::vector<std::string>{"waiting"});

    auto again = f.connect();
    again.say(resume_message(a.token(), 1));
    expect_resumed(again, "waiting");
    f.run_all();
    CHECK(again.connection->take_types() == std::vector<std::string>{"matched"});
    CHECK(b.connection->take_types() == std::vector<std::string>{"matched"});
}

TEST_CASE("a last_seq whose successors are not all held gets resume_failed", "[session][resume]") {
    session_fixture f;
    f.settings.limits.max_unacked_bytes = 200;  // the history holds about two written offers
    auto [a, b] = paired(f, f.home1, f.home2);
    for (int i = 0; i < 3; ++i) b.say(offer_with(std::to_string(10 + i)));
    f.run_all();
    a.drop();

    SECTION("too far back") {
        auto again = f.connect();
        again.say(resume_message(a.token(), 2));
        expect_resume_failed(again);
        // A fresh idle session after all.
        again.say({{"type", "join"}});
        CHECK(again.connection->take() == std::vector<json>{{{"type", "waiting"}, {"seq", 1}}});
    }
    SECTION("ahead of what was sent") {
        auto again = f.connect();
        again.say(resume_message(a.token(), 99));
        expect_resume_failed(again);
    }
}

TEST_CASE("in the grace, messages past max_outbound_bytes end the session", "[session][resume]") {
    session_fixture f;
    f.settings.limits.max_outbound_bytes = 200;
    auto [a, b] = paired(f, f.home1, f.home2);
    a.drop();
    for (int i = 0; i < 4; ++i) b.say(offer_with(std::to_string(20 + i)));
    f.run_all();
    f.home1.on([&] { CHECK(a.session->ended()); });
    CHECK(b.connection->take_types() == std::vector<std::string>{"partner_left"});
}

TEST_CASE("a token works once: used, made up and expired tokens fail alike", "[session][resume]") {
    session_fixture f;
    auto a = f.connect();
    const auto token = a.token();
    a.drop();
    auto first = f.connect();
    first.say(resume_message(token, 0));
    const auto fresh_token = expect_resumed(first, "idle").at("resume").get<std::string>();

    auto reuse = f.connect();
    reuse.say(resume_message(token, 0));
    expect_resume_failed(reuse);
    auto made_up = f.connect();
    made_up.say(resume_message("AAAAAAAAAAAAAAAAAAAAAA", 0));
    expect_resume_failed(made_up);
    CHECK(f.context().counters.resume_failed_total == 2);

    // The rotated token works, once.
    first.drop();
    auto second = f.connect();
    second.say(resume_message(fresh_token, 0));
    expect_resumed(second, "idle");
}

TEST_CASE("a resume while the old connection looks open takes it over", "[session][resume]") {
    session_fixture f;
    auto [a, b] = paired(f, f.home1, f.home2);
    auto again = f.connect(f.home2);  // on another worker than the session
    again.say(resume_message(a.token(), 2));
    f.run_all();
    CHECK(a.connection->closed_with == protocol::close_code::taken_over);
    expect_resumed(again, "paired");
    CHECK(again.connection->attached == a.session);
    CHECK(b.connection->take().empty());  // the partner hears nothing
    // The old connection's end, when it comes, changes nothing.
    a.drop();
    f.run_all();
    f.home1.on([&] { CHECK_FALSE(a.session->in_grace()); });
    CHECK(b.connection->take().empty());
}

TEST_CASE("what the client sends right after its resume goes to the resumed session",
          "[session][resume]") {
    session_fixture f;
    auto a = f.connect(f.home1);
    a.drop();
    auto again = f.connect(f.home2);
    again.say(resume_message(a.token(), 0));
    again.say({{"type", "ping"}});
    again.say({{"type", "join"}});
    f.run_all();
    CHECK(again.connection->take_types() == std::vector<std::string>{"resumed", "pong", "waiting"});
}

TEST_CASE("when the grace passes the partner gets partner_left and the token is gone",
          "[session][resume]") {
    session_fixture f;
    auto [a, b] = paired(f, f.home1, f.home2);
    a.drop();
    f.advance(9999ms);
    CHECK(b.connection->take().empty());
    f.advance(1ms);
    CHECK(b.connection->take() == std::vector<json>{{{"type", "partner_left"}, {"seq", 3}}});
    CHECK(f.context().counters.grace_expired_total == 1);
    auto late = f.connect();
    late.say(resume_message(a.token(), 2));
    expect_resume_failed(late);
}

TEST_CASE("resume is only allowed as the first message", "[session][resume]") {
    session_fixture f;
    auto a = f.connect();
    a.say({{"type", "ping"}});
    a.say(resume_message(a.token(), 0));
    const auto got = a.connection->take();
    REQUIRE(got.size() == 2);
    CHECK(got[1].at("code") == "bad_state");
    CHECK(got[1].at("ref") == "resume");
}
