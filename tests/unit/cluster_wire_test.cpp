// What nodes say to each other: every kind encodes and decodes back, the
// payload as bytes; anything else is refused.

#include <onymous/cluster/wire.hpp>

#include <catch2/catch.hpp>

using namespace onymous::cluster;

namespace {

wire_message round_trip(const wire_message& m) {
    const auto decoded = decode(encode(m));
    REQUIRE(decoded);
    return *decoded;
}

}  // namespace

TEST_CASE("pair messages carry their payload as bytes", "[cluster][wire]") {
    wire_message m;
    m.kind = wire_kind::pair_message;
    m.pair = 18446744073709551615ULL;
    m.seq = 7;
    m.from = "node-A_1";
    m.what = pair_kind::relay;
    m.payload = std::string("{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}\n\0 tail", 40);
    CHECK(encode(m).substr(0, 45) == "P 18446744073709551615 7 node-A_1 relay\n{\"typ");
    const auto back = round_trip(m);
    CHECK(back.kind == wire_kind::pair_message);
    CHECK(back.pair == m.pair);
    CHECK(back.seq == 7);
    CHECK(back.from == "node-A_1");
    CHECK(back.what == pair_kind::relay);
    CHECK(back.payload == m.payload);
    for (const auto what : {pair_kind::matched, pair_kind::ended}) {
        m.what = what;
        CHECK(round_trip(m).what == what);
    }
}

TEST_CASE("acks, take-overs, answers, bridges and heartbeats", "[cluster][wire]") {
    wire_message ack;
    ack.kind = wire_kind::ack;
    ack.from = "b";
    ack.pair = 3;
    ack.seq = 9;
    CHECK(encode(ack) == "A 3 9 b");
    CHECK(round_trip(ack).seq == 9);

    wire_message gathered;
    gathered.kind = wire_kind::acks;
    gathered.from = "b";
    gathered.acks = {{3, 9}, {18446744073709551615ULL, 1}};
    CHECK(encode(gathered) == "C b\n3:9 18446744073709551615:1");
    CHECK(round_trip(gathered).acks == gathered.acks);

    wire_message take;
    take.kind = wire_kind::take_over;
    take.request = "r1";
    take.from = "c";
    take.seq = 12;
    take.expiry = 1800000000;
    take.payload = "tok.en";
    CHECK(encode(take) == "T r1 c 12 1800000000\ntok.en");
    const auto t = round_trip(take);
    CHECK(t.request == "r1");
    CHECK(t.seq == 12);
    CHECK(t.expiry == 1800000000);
    CHECK(t.payload == "tok.en");

    wire_message session;
    session.kind = wire_kind::session;
    session.request = "r1";
    session.from = "a";
    CHECK(encode(session) == "S r1 a");
    CHECK(round_trip(session).request == "r1");

    wire_message failed;
    failed.kind = wire_kind::take_over_failed;
    failed.from = "a";
    failed.request = "r1";
    CHECK(encode(failed) == "F r1 a");

    wire_message bridged;
    bridged.kind = wire_kind::bridge_message;
    bridged.request = "r1";
    bridged.seq = 4;
    bridged.from = "a";
    bridged.part = bridge_kind::frame;
    bridged.payload = "{\"type\":\"resumed\"}\n";
    CHECK(encode(bridged) == "B r1 4 a frame\n{\"type\":\"resumed\"}\n");
    const auto b = round_trip(bridged);
    CHECK(b.request == "r1");
    CHECK(b.seq == 4);
    CHECK(b.payload == bridged.payload);
    for (const auto part : {bridge_kind::text, bridge_kind::closed, bridge_kind::close}) {
        bridged.part = part;
        CHECK(round_trip(bridged).part == part);
    }

    wire_message bridge_ack;
    bridge_ack.kind = wire_kind::bridge_ack;
    bridge_ack.request = "r1";
    bridge_ack.seq = 4;
    bridge_ack.from = "c";
    CHECK(encode(bridge_ack) == "K r1 4 c");
    CHECK(round_trip(bridge_ack).seq == 4);

    wire_message beat;
    beat.kind = wire_kind::heartbeat;
    beat.from = "a";
    beat.other = "gen1";
    CHECK(encode(beat) == "H a gen1");
    CHECK(round_trip(beat).other == "gen1");

    wire_message events;
    events.kind = wire_kind::abuse_events;
    events.from = "a";
    events.payload = "s 1f\nr 2 3";
    CHECK(encode(events) == "E a\ns 1f\nr 2 3");
    CHECK(round_trip(events).payload == "s 1f\nr 2 3");
    CHECK(round_trip(events).from == "a");
}

TEST_CASE("anything else is refused", "[cluster][wire]") {
    for (const char* bad : {"",
                            "X 1",
                            "P 1 2 a",
                            "P 1 2 a bogus\n",
                            "P x 2 a relay\n",
                            "P 1 -2 a relay\n",
                            "P 1 2 a:b relay\n",
                            "A 1 2",
                            "A 1 2 a b",
                            "H a",
                            "H a b c",
                            "T r a 1\n",
                            "T r a 1 x\n",
                            "F r",
                            "B r 1 a bogus\n",
                            "B r x a text\n",
                            "K r 1",
                            "S r",
                            "C a\n",
                            "C a\n1:2 ",
                            "C a\n1:2 3",
                            "C a\n1:x",
                            "C a b\n1:2",
                            "PP 1 2 a relay\n",
                            "E",
                            "E a b\ns 1",
                            "E a:b\ns 1",
                            "H a b\nextra is fine"}) {
        INFO(bad);
        if (std::string_view(bad) == "H a b\nextra is fine") {
            CHECK(decode(bad));  // a heartbeat's payload is ignored
            continue;
        }
        CHECK_FALSE(decode(bad));
    }
    CHECK(is_wire_id("abcXYZ019_-"));
    CHECK_FALSE(is_wire_id(""));
    CHECK_FALSE(is_wire_id(std::string(65, 'a')));
    CHECK_FALSE(is_wire_id("a b"));
    CHECK_FALSE(is_wire_id("a.b"));
}

TEST_CASE("the pairing note: what a claimer tells the waiter's node", "[cluster_wire]") {
    using onymous::cluster::decode_note;
    onymous::cluster::pairing_note n{
        "claimer1", "waiter2", 17, onymous::protocol::role::answerer, {"aa", "bb"}};
    const auto text = onymous::cluster::encode(n);
    CHECK(text == "claimer1 waiter2 17 answerer aa bb");
    const auto back = decode_note(text);
    REQUIRE(back);
    CHECK(back->claimer == "claimer1");
    CHECK(back->member == "waiter2");
    CHECK(back->ticket == 17);
    CHECK(back->role == onymous::protocol::role::answerer);
    CHECK(back->common_hashes == std::vector<std::string>{"aa", "bb"});
    CHECK(decode_note("c w 1 offerer")->common_hashes.empty());
    for (const char* bad : {"", "c w 1", "c w x offerer", "c w 1 boss", "c  w 1 offerer",
                            "c w 1 offerer ", "c w -1 offerer", "c w 1 offerer a\nb"})
        CHECK_FALSE(decode_note(bad));
}
