// The daily address key (abuse/address_hasher): one hash per client as the
// per-address limits count clients, a new key each UTC day, and a ratchet
// that every holder of one day's key follows alike.

#include <onymous/abuse/address_hasher.hpp>

#include <catch2/catch.hpp>

using namespace onymous;
using namespace onymous::abuse;
using namespace std::chrono_literals;
using wall_time = address_hasher::wall_time;

namespace {

address::ip ip(const char* text) {
    const auto parsed = address::parse_ip(text);
    REQUIRE(parsed);
    return *parsed;
}

address::hash_key key_of(std::uint8_t fill) {
    address::hash_key k;
    k.fill(fill);
    return k;
}

const wall_time day_100 = wall_time{} + 100 * 24h;

}  // namespace

TEST_CASE("days are UTC days since 1970", "[abuse][address]") {
    CHECK(address_hasher::day_of(wall_time{}) == 0);
    CHECK(address_hasher::day_of(wall_time{} + 24h - 1ns) == 0);
    CHECK(address_hasher::day_of(wall_time{} + 24h) == 1);
    CHECK(address_hasher::day_of(day_100 + 12h) == 100);
    CHECK(address_hasher::day_of(wall_time{} - 1s) == -1);
}

TEST_CASE("one hash per IPv4 address or IPv6 /64", "[abuse][address]") {
    address_hasher h(key_of(1), 100);
    const auto at = day_100 + 1h;
    CHECK(h.hash(ip("192.0.2.1"), at) == h.hash(ip("::ffff:192.0.2.1"), at));
    CHECK(h.hash(ip("192.0.2.1"), at) != h.hash(ip("192.0.2.2"), at));
    CHECK(h.hash(ip("2001:db8:1:2::1"), at) == h.hash(ip("2001:db8:1:2:ffff::9"), at));
    CHECK(h.hash(ip("2001:db8:1:2::1"), at) != h.hash(ip("2001:db8:1:3::1"), at));
    // Another key, another hash.
    address_hasher other(key_of(2), 100);
    CHECK(other.hash(ip("192.0.2.1"), at) != h.hash(ip("192.0.2.1"), at));
}

TEST_CASE("the key turns at midnight UTC and only forward", "[abuse][address]") {
    address_hasher h(key_of(1), 100);
    const auto client = ip("198.51.100.7");
    const std::uint64_t monday = h.hash(client, day_100);
    CHECK(h.hash(client, day_100 + 24h - 1ms) == monday);
    const std::uint64_t tuesday = h.hash(client, day_100 + 24h);
    CHECK(tuesday != monday);
    CHECK(h.day() == 101);
    // A clock that went back keeps today's key.
    CHECK(h.hash(client, day_100) == tuesday);
    CHECK(h.day() == 101);

    // Every holder of day 100's key computes the same later keys, however
    // many days it skips: cluster nodes that share one (day, key) agree.
    address_hasher late(address_hasher::next_key(address_hasher::next_key(key_of(1))), 102);
    address_hasher early(key_of(1), 100);
    CHECK(early.hash(client, day_100 + 2 * 24h) == late.hash(client, day_100 + 2 * 24h));
    CHECK(early.day() == 102);
    CHECK(address_hasher::next_key(key_of(1)) != key_of(1));
}
