// Proof of work as the session applies it (PROTOCOL.md, Abuse controls): the
// challenge in force is redeemed by the join or next accepted with a proof of
// it, and replaced then, so that the same proof sent again is refused. The
// proof's own checks are in abuse_proof_of_work_test.cpp.

#include "session_support.hpp"

#include <onymous/abuse/proof_of_work.hpp>

using namespace onymous;
using namespace onymous::test;

namespace {

abuse::challenge challenge_of(const json& message) {
    const json& c = message.at("challenge");
    return {c.at("prefix"), c.at("bits"), c.at("count"), c.at("expiresMs")};
}

json with_proof(json message, const abuse::challenge& c) {
    message["proof"] = abuse::solve(c).nonces;
    return message;
}

json refused_proof(std::string_view ref) {
    return {{"type", "error"},
            {"code", "invalid_proof"},
            {"message", "the proof of work is not valid"},
            {"ref", ref}};
}

std::uint64_t proofs(session::session_context& ctx, abuse::proof_result r) {
    return ctx.abuse.counters().proofs_total[static_cast<std::size_t>(r)].load();
}

}  // namespace

TEST_CASE("a proof is redeemed once, by the message accepted with it", "[session][abuse]") {
    session_fixture f;
    // 12 bits x 4 nonces: a replayed proof meets the successor by a chance
    // of 2^-48, while solving costs the test about 16,000 hashes.
    f.settings.abuse.pow_bits = 12;
    f.settings.abuse.pow_count = 4;
    f.settings.abuse.pow_max_bits = 12;
    auto a = f.connect();
    const abuse::challenge first = challenge_of(a.connection->frames.at(0));
    CHECK(first.bits == 12);
    CHECK(first.count == 4);

    const json join = with_proof({{"type", "join"}, {"mode", "text"}}, first);
    a.say(join);
    auto sent = a.connection->take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].at("type") == "waiting");
    const abuse::challenge second = challenge_of(sent[0]);
    CHECK(second.prefix != first.prefix);

    // The redeemed proof again: refused, and the challenge in force stays.
    a.say({{"type", "next"}, {"proof", join.at("proof")}});
    CHECK(a.connection->take() == std::vector<json>{refused_proof("next")});

    // A valid proof on a message the state table refuses redeems nothing:
    // the same proof is accepted on the next message that is allowed.
    const json next = with_proof({{"type", "next"}}, second);
    a.say({{"type", "join"}, {"mode", "text"}, {"proof", next.at("proof")}});
    CHECK(a.connection->take_types() == std::vector<std::string>{"error"});
    a.say(next);
    sent = a.connection->take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].at("type") == "waiting");
    CHECK(challenge_of(sent[0]).prefix != second.prefix);
    a.say(next);
    CHECK(a.connection->take() == std::vector<json>{refused_proof("next")});

    CHECK(proofs(f.context(), abuse::proof_result::ok) == 2);
    CHECK(proofs(f.context(), abuse::proof_result::too_few_bits) == 2);
}
