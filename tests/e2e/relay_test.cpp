// What reaches the partner: offers, answers and candidates exactly as the
// contract lists them (plus seq, minus anything else the client sent), in
// order, and never a message of an earlier pairing (PROTOCOL.md: Relay
// guarantees).

#include "helpers.hpp"

#include <string>

using namespace onymous::test;

namespace {

json offer(const std::string& sdp) { return {{"type", "offer"}, {"sdp", sdp}}; }

json candidate_message(const json& init) { return {{"type", "candidate"}, {"candidate", init}}; }

}  // namespace

TEST_CASE("offer, answer and candidates reach the partner exactly, extra fields stripped",
          "[relay_test][e2e]") {
    daemon_process daemon;
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b);
    ws_client& offerer = pairing.offerer(a, b);
    ws_client& answerer = pairing.answerer(a, b);

    const auto sdp = text_sdp("7");
    offerer.send_json(
        {{"type", "offer"}, {"sdp", sdp}, {"seq", 77}, {"role", "offerer"}, {"x", {{"y", 1}}}});
    expect_message(answerer, {{"type", "offer"}, {"sdp", sdp}});

    const auto answer_sdp = text_sdp("8");
    answerer.send_json({{"type", "answer"}, {"sdp", answer_sdp}, {"from", "me"}});
    expect_message(offerer, {{"type", "answer"}, {"sdp", answer_sdp}});

    json init = candidate_init("9");
    json with_extra = init;
    with_extra["foo"] = "bar";
    offerer.send_json(
        {{"type", "candidate"}, {"candidate", with_extra}, {"seq", 1}, {"extra", true}});
    expect_message(answerer, candidate_message(init));

    // End of candidates, both spellings: null, and Chrome's "" candidate.
    offerer.send_json({{"type", "candidate"}, {"candidate", nullptr}});
    expect_message(answerer, {{"type", "candidate"}, {"candidate", nullptr}});
    offerer.send_json(
        candidate_message({{"candidate", ""}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}}));
    {
        const auto relayed = expect_type(answerer, "candidate");
        INFO("relayed: " << relayed.dump());
        REQUIRE(relayed.size() == 3);
        const json& value = relayed["candidate"];
        const bool end_of_candidates =
            value.is_null() || (value.is_object() && value.value("candidate", "?") == "");
        REQUIRE(end_of_candidates);
    }

    // sdpMid alone (sdpMLineIndex null) and sdpMLineIndex alone: the absent
    // one is relayed as null or left out, and nothing else is added.
    const std::string line = candidate_init("10")["candidate"];
    answerer.send_json(
        candidate_message({{"candidate", line}, {"sdpMid", "data"}, {"sdpMLineIndex", nullptr}}));
    answerer.send_json(candidate_message({{"candidate", line}, {"sdpMLineIndex", 3}}));
    for (const bool mid_only : {true, false}) {
        const auto relayed = expect_type(offerer, "candidate");
        INFO("relayed: " << relayed.dump());
        REQUIRE(relayed.size() == 3);
        const json& value = relayed["candidate"];
        REQUIRE(value["candidate"] == line);
        if (mid_only) {
            REQUIRE(value["sdpMid"] == "data");
            REQUIRE(value.value("sdpMLineIndex", json()).is_null());
        } else {
            REQUIRE(value["sdpMLineIndex"] == 3);
            REQUIRE(value.value("sdpMid", json()).is_null());
        }
        REQUIRE(value.value("usernameFragment", json()).is_null());
        for (const auto& [key, ignored] : value.items())
            REQUIRE((key == "candidate" || key == "sdpMid" || key == "sdpMLineIndex" ||
                     key == "usernameFragment"));
    }

    // Line feeds alone are accepted as line ends, and either side may offer
    // again (renegotiation, glare).
    const std::string lf_sdp =
        "v=0\no=- 5 2 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=application 9 UDP/DTLS/SCTP "
        "webrtc-datachannel\n";
    answerer.send_json(offer(lf_sdp));
    expect_message(offerer, offer(lf_sdp));
    REQUIRE(a.expect_silence(200ms));
    REQUIRE(b.pending() == 0);
    finish(daemon);
}

TEST_CASE("video mode relays audio and video SDP", "[relay_test][e2e]") {
    daemon_process daemon;
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto pairing = pair(a, b, "video");
    const auto sdp = video_sdp("3");
    pairing.offerer(a, b).send_json(offer(sdp));
    expect_message(pairing.answerer(a, b), offer(sdp));
    pairing.answerer(a, b).send_json({{"type", "answer"}, {"sdp", video_sdp("4")}});
    expect_message(pairing.offerer(a, b), {{"type", "answer"}, {"sdp", video_sdp("4")}});
    finish(daemon);
}

TEST_CASE("messages reach the partner in the order they were sent", "[relay_test][e2e]") {
    daemon_process daemon;
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    pair(a, b);
    // Both directions at once, interleaving kinds.
    for (int i = 0; i < 150; ++i) {
        a.send_json(candidate_message(candidate_init("a", i)));
        b.send_json(candidate_message(candidate_init("b", i)));
        if (i % 50 == 25) {
            a.send_json(offer(text_sdp(std::to_string(i))));
            b.send_json(offer(text_sdp(std::to_string(i))));
        }
    }
    for (auto* receiver : {&b, &a}) {
        const std::string from = receiver == &b ? "a" : "b";
        for (int i = 0; i < 150; ++i) {
            expect_message(*receiver, candidate_message(candidate_init(from, i)));
            if (i % 50 == 25) expect_message(*receiver, offer(text_sdp(std::to_string(i))));
        }
        REQUIRE(receiver->pending() == 0);
    }
    finish(daemon);
}

// A sends candidates and offers in quick succession while B sends next and is
// re-paired with C, who was already waiting. What is asserted, exactly:
//  - B receives some prefix (possibly empty) of A's messages, each exactly as
//    sent and in order, then `waiting`, then `matched`, and after that only
//    what C sends: nothing of A's arrives at B once B has left the pairing.
//  - C receives `waiting`, `matched`, then exactly B's marker offer, and
//    never any of A's messages.
//  - A receives `partner_left` and then, after all its messages, the pong of
//    its ping: the messages that raced the pairing's end were dropped
//    silently (within the 10 s window), not answered with errors.
TEST_CASE("nothing A sends during a pairing reaches B's next partner", "[relay_test][e2e]") {
    daemon_process daemon;
    constexpr int burst = 60;
    for (int round = 0; round < 5; ++round) {
        INFO("round " << round);
        auto a = open_client(daemon);
        auto b = open_client(daemon);
        auto c = open_client(daemon);
        pair(a, b);
        join(c);

        // Markers no other message can contain by chance (hello's random
        // token could hold any short string).
        const auto a_message = [](int i) {
            return i % 10 == 9 ? offer(text_sdp("9090" + std::to_string(i)))
                               : candidate_message(candidate_init("zqburstA", i));
        };
        // A's burst, with B's next in the middle of it.
        for (int i = 0; i < burst; ++i) {
            a.send_json(a_message(i));
            if (i == burst / 2) b.send_json({{"type", "next"}});
        }
        a.send_json({{"type", "ping"}});

        // B: a prefix of A's messages, then waiting and matched (with C).
        int prefix = 0;
        for (;;) {
            const auto previous = b.last_seq();
            const auto message = next_message(b);
            INFO("B got " << message.dump());
            REQUIRE(message["seq"] == previous + 1);
            if (message["type"] == "waiting") {
                REQUIRE(message.size() == 2);
                break;
            }
            REQUIRE(prefix < burst);
            json expected = a_message(prefix);
            expected["seq"] = previous + 1;
            REQUIRE(message == expected);
            ++prefix;
        }
        const auto repaired = expect_pairing(b, c);

        // B and C talk: C's next message must be B's marker, and B's next
        // message must be C's marker; A's burst is long over by now.
        b.send_json(offer(text_sdp("4242")));
        expect_message(c, offer(text_sdp("4242")));
        c.send_json(offer(text_sdp("4343")));
        expect_message(b, offer(text_sdp("4343")));

        // A: partner_left, then the pong, nothing between.
        expect_message(a, {{"type", "partner_left"}});
        expect_message(a, {{"type", "pong"}});

        REQUIRE(c.expect_silence(200ms));
        REQUIRE(b.pending() == 0);
        REQUIRE(a.pending() == 0);
        for (const auto& message : c.history()) {
            INFO("C got " << message.dump());
            REQUIRE(message.dump().find("zqburstA") == std::string::npos);
            REQUIRE(message.dump().find("o=- 461173149090") == std::string::npos);
        }
        (void)repaired;
    }
    finish(daemon);
}
