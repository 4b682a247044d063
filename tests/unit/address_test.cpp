// The address leaf: literals, networks, X-Forwarded-For, PROXY v2, the keyed
// hash and the per-address table (with a manual clock).
#include <onymous/address/address_table.hpp>
#include <onymous/address/forwarded_for.hpp>
#include <onymous/address/keyed_hash.hpp>
#include <onymous/address/network.hpp>
#include <onymous/address/proxy_v2.hpp>

#include <catch2/catch.hpp>

#include <numeric>
#include <string>
#include <vector>

using namespace onymous::address;
using namespace std::chrono_literals;

namespace {

ip addr(std::string_view text) {
    const auto parsed = parse_ip(text);
    REQUIRE(parsed.has_value());
    return *parsed;
}

ip forwarded(std::string_view peer, std::vector<std::string_view> lines,
             const std::vector<std::string>& trusted) {
    return client_behind_proxies(addr(peer), lines, network_set(trusted));
}

std::vector<std::uint8_t> bytes_of(std::initializer_list<int> values) {
    std::vector<std::uint8_t> out;
    for (const int v : values) out.push_back(static_cast<std::uint8_t>(v));
    return out;
}

const std::vector<std::uint8_t> proxy_signature =
    bytes_of({0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});

/// A PROXY v2 header: signature, version/command, family/transport, the block.
std::vector<std::uint8_t> proxy_header(int version_command, int family_transport,
                                       const std::vector<std::uint8_t>& block) {
    auto out = proxy_signature;
    out.push_back(static_cast<std::uint8_t>(version_command));
    out.push_back(static_cast<std::uint8_t>(family_transport));
    out.push_back(static_cast<std::uint8_t>(block.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(block.size() & 0xFF));
    out.insert(out.end(), block.begin(), block.end());
    return out;
}

std::variant<proxy_v2::header, proxy_v2::failure> parse_proxy(const std::vector<std::uint8_t>& h) {
    return proxy_v2::parse(h);
}

std::string_view failure_of(const std::vector<std::uint8_t>& h) {
    const auto result = parse_proxy(h);
    REQUIRE(std::holds_alternative<proxy_v2::failure>(result));
    return std::get<proxy_v2::failure>(result).reason;
}

}  // namespace

TEST_CASE("ip literals: IPv4 is held IPv4-mapped, so both spellings are one address", "[address]") {
    CHECK(addr("192.0.2.1") == addr("::ffff:192.0.2.1"));
    CHECK(addr("192.0.2.1").is_v4());
    CHECK_FALSE(addr("2001:db8::1").is_v4());
    CHECK(addr("2001:DB8::1") == addr("2001:db8:0:0:0:0:0:1"));
    for (const std::string_view bad : std::initializer_list<std::string_view>{
             "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "[::1]", "::1%eth0", "1.2.3.4:80", " 1.2.3.4",
             "example.com", "1.2.3.04x", "::g", std::string_view("10.0.0.1\0junk", 13)}) {
        INFO(bad);
        CHECK_FALSE(parse_ip(bad).has_value());
    }
}

TEST_CASE("limit keys: an IPv4 address alone, an IPv6 address by its /64", "[address]") {
    CHECK(limit_key_of(addr("2001:db8:1:2:aaaa::1")) == limit_key_of(addr("2001:db8:1:2:ffff::9")));
    CHECK_FALSE(limit_key_of(addr("2001:db8:1:2::1")) == limit_key_of(addr("2001:db8:1:3::1")));
    CHECK(limit_key_of(addr("::ffff:198.51.100.7")) == addr("198.51.100.7"));
    CHECK_FALSE(limit_key_of(addr("198.51.100.7")) == limit_key_of(addr("198.51.100.8")));
}

TEST_CASE("networks: IPv4 and IPv6 prefixes, mapped addresses inside IPv4 networks", "[address]") {
    const network_set set({"10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "127.0.0.1/32"});
    CHECK(set.contains(addr("10.255.0.1")));
    CHECK(set.contains(addr("::ffff:10.1.2.3")));
    CHECK(set.contains(addr("192.168.1.200")));
    CHECK_FALSE(set.contains(addr("192.168.2.1")));
    CHECK(set.contains(addr("2001:db8:ffff::1")));
    CHECK_FALSE(set.contains(addr("2001:db9::1")));
    CHECK(set.contains(addr("127.0.0.1")));
    CHECK_FALSE(set.contains(addr("127.0.0.2")));
    CHECK(network_set({"0.0.0.0/0"}).contains(addr("203.0.113.9")));
    CHECK_FALSE(network_set({"0.0.0.0/0"}).contains(addr("2001:db8::1")));
    CHECK(network_set({"::/0"}).contains(addr("203.0.113.9")));
    CHECK_FALSE(network_set().contains(addr("10.0.0.1")));
    for (const std::string_view bad : {"10.0.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/", "x/8",
                                       "10.0.0.0/8/8", "10.0.0.0/-1", "10.0.0.0/1000"}) {
        INFO(bad);
        CHECK_FALSE(parse_network(bad).has_value());
    }
    CHECK_THROWS_WITH(network_set({"10.0.0.0/8", "nonsense"}), "not a network: nonsense");
}

TEST_CASE("X-Forwarded-For: ignored from untrusted peers", "[address]") {
    CHECK(forwarded("203.0.113.5", {"198.51.100.1"}, {"10.0.0.0/8"}) == addr("203.0.113.5"));
    CHECK(forwarded("203.0.113.5", {"198.51.100.1"}, {}) == addr("203.0.113.5"));
}

TEST_CASE("X-Forwarded-For: the rightmost address that is not a trusted proxy", "[address]") {
    const std::vector<std::string> trusted = {"10.0.0.0/8", "2001:db8::/32"};
    // The client forged the first entry; the last proxy appended the truth.
    CHECK(forwarded("10.0.0.2", {"1.1.1.1, 198.51.100.7"}, trusted) == addr("198.51.100.7"));
    CHECK(forwarded("10.0.0.2", {"1.1.1.1, 198.51.100.7, 10.0.0.9"}, trusted) ==
          addr("198.51.100.7"));
    // Several header lines are one list, in order.
    CHECK(forwarded("10.0.0.2", {"1.1.1.1", "198.51.100.7", "10.0.0.9"}, trusted) ==
          addr("198.51.100.7"));
    CHECK(forwarded("10.0.0.2", {"1.1.1.1,,  ,198.51.100.7 , "}, trusted) == addr("198.51.100.7"));
    // Ports and brackets.
    CHECK(forwarded("10.0.0.2", {"198.51.100.7:4711"}, trusted) == addr("198.51.100.7"));
    CHECK(forwarded("10.0.0.2", {"[2001:db9::7]:4711"}, trusted) == addr("2001:db9::7"));
    CHECK(forwarded("10.0.0.2", {"2001:db9::7"}, trusted) == addr("2001:db9::7"));
    CHECK(forwarded("10.0.0.2", {"::ffff:198.51.100.7"}, trusted) == addr("198.51.100.7"));
    // Every entry trusted: the leftmost.
    CHECK(forwarded("10.0.0.2", {"10.0.0.7, 10.0.0.8"}, trusted) == addr("10.0.0.7"));
    // No header from a trusted proxy: the proxy itself.
    CHECK(forwarded("10.0.0.2", {}, trusted) == addr("10.0.0.2"));
}

TEST_CASE("X-Forwarded-For: garbage ends the walk at the hop that wrote it", "[address]") {
    const std::vector<std::string> trusted = {"10.0.0.0/8"};
    CHECK(forwarded("10.0.0.2", {"198.51.100.7, unknown"}, trusted) == addr("10.0.0.2"));
    CHECK(forwarded("10.0.0.2", {"198.51.100.7, garbage, 10.0.0.9"}, trusted) == addr("10.0.0.9"));
    for (const std::string_view bad :
         {"unknown", "_hidden", "1.2.3.4:", "1.2.3.4:x", "[::1", "[::1]x", "[::1]:123456",
          "1.2.3.4:5:6", "abcd:80", "1.2.3.4:65536", "[1.2.3.4]:80"}) {
        INFO(bad);
        CHECK_FALSE(parse_forwarded_entry(bad).has_value());
    }
}

TEST_CASE("X-Forwarded-For: a huge list costs a bounded walk", "[address]") {
    std::string line;
    for (int i = 0; i < 10000; ++i) line += "10.0.0.1, ";
    line += "10.0.0.3";
    // Only max_forwarded_entries are examined: the walk stops among trusted ones.
    CHECK(forwarded("10.0.0.2", {"198.51.100.7, " + line}, {"10.0.0.0/8"}) == addr("10.0.0.1"));
}

TEST_CASE("PROXY v2: TCP over IPv4 and IPv6 gives the source address", "[address]") {
    const auto v4 =
        proxy_header(0x21, 0x11, bytes_of({198, 51, 100, 7, 10, 0, 0, 1, 0x12, 0x34, 0x01, 0xBB}));
    const auto length = proxy_v2::rest_length(std::span<const std::uint8_t, 16>(v4.data(), 16));
    REQUIRE(std::holds_alternative<std::size_t>(length));
    CHECK(std::get<std::size_t>(length) == 12);
    auto result = parse_proxy(v4);
    REQUIRE(std::holds_alternative<proxy_v2::header>(result));
    CHECK(std::get<proxy_v2::header>(result).source == addr("198.51.100.7"));

    std::vector<std::uint8_t> block(36, 0);
    const auto source = addr("2001:db8::42");
    std::copy(source.bytes.begin(), source.bytes.end(), block.begin());
    // A TLV after the addresses (as AWS and GCP send) is skipped.
    for (const int b : {0x04, 0x00, 0x03, int{'a'}, int{'b'}, int{'c'}})
        block.push_back(static_cast<std::uint8_t>(b));
    result = parse_proxy(proxy_header(0x21, 0x21, block));
    REQUIRE(std::holds_alternative<proxy_v2::header>(result));
    CHECK(std::get<proxy_v2::header>(result).source == source);
}

TEST_CASE("PROXY v2: LOCAL, UNSPEC and UNIX keep the connection's address", "[address]") {
    // LOCAL ignores its family byte, even an undefined one.
    for (const auto& h : {proxy_header(0x20, 0x55, {}), proxy_header(0x20, 0x10, {})}) {
        const auto result = parse_proxy(h);
        REQUIRE(std::holds_alternative<proxy_v2::header>(result));
        CHECK_FALSE(std::get<proxy_v2::header>(result).source.has_value());
    }
    for (const auto& h :
         {proxy_header(0x20, 0x00, {}), proxy_header(0x20, 0x11, std::vector<std::uint8_t>(12, 1)),
          proxy_header(0x21, 0x00, {}),
          proxy_header(0x21, 0x31, std::vector<std::uint8_t>(216, 0))}) {
        const auto result = parse_proxy(h);
        REQUIRE(std::holds_alternative<proxy_v2::header>(result));
        CHECK_FALSE(std::get<proxy_v2::header>(result).source.has_value());
    }
}

TEST_CASE("PROXY v2: malformed and truncated headers are refused with a reason", "[address]") {
    auto wrong_signature = proxy_header(0x21, 0x11, std::vector<std::uint8_t>(12, 0));
    wrong_signature[3] = 'X';
    CHECK(failure_of(wrong_signature) == "no PROXY v2 signature");
    CHECK(failure_of(proxy_header(0x11, 0x11, std::vector<std::uint8_t>(12, 0))) ==
          "not PROXY protocol version 2");
    CHECK(failure_of(proxy_header(0x22, 0x11, std::vector<std::uint8_t>(12, 0))) ==
          "unknown PROXY v2 command");
    CHECK(failure_of(proxy_header(0x21, 0x41, std::vector<std::uint8_t>(12, 0))) ==
          "unknown PROXY v2 family or transport");
    for (const int undefined : {0x13, 0x10, 0x20, 0x01, 0x33, 0xF1}) {
        INFO(undefined);
        CHECK(failure_of(proxy_header(0x21, undefined, std::vector<std::uint8_t>(36, 0))) ==
              "unknown PROXY v2 family or transport");
    }
    CHECK(failure_of(proxy_header(0x21, 0x11, std::vector<std::uint8_t>(1025, 0))) ==
          "PROXY v2 header too long");
    CHECK(failure_of(proxy_header(0x21, 0x11, std::vector<std::uint8_t>(11, 0))) ==
          "short PROXY v2 IPv4 addresses");
    CHECK(failure_of(proxy_header(0x21, 0x21, std::vector<std::uint8_t>(12, 0))) ==
          "short PROXY v2 IPv6 addresses");
    CHECK(failure_of(proxy_header(0x21, 0x31, std::vector<std::uint8_t>(100, 0))) ==
          "short PROXY v2 UNIX addresses");
    auto truncated = proxy_header(0x21, 0x11, std::vector<std::uint8_t>(12, 0));
    truncated.pop_back();
    CHECK(failure_of(truncated) == "PROXY v2 length does not match");
    CHECK(failure_of(bytes_of({0x0D, 0x0A})) == "truncated PROXY v2 header");
    // A TLS ClientHello where a header was expected.
    CHECK(failure_of(bytes_of({0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03, 0,
                               0, 0, 0, 0})) == "no PROXY v2 signature");
}

TEST_CASE("SipHash-2-4 matches the reference vectors", "[address]") {
    hash_key key{};
    std::iota(key.begin(), key.end(), std::uint8_t{0});
    std::vector<std::uint8_t> message(15);
    std::iota(message.begin(), message.end(), std::uint8_t{0});
    CHECK(siphash24(key, {}) == 0x726fdb47dd0e0e31ULL);
    CHECK(siphash24(key, message) == 0xa129ca6149be45e5ULL);
    message.resize(8);
    CHECK(siphash24(key, message) == 0x93f5f5799a932462ULL);
}

TEST_CASE("address table: concurrent cap per client, IPv6 /64 together, mapped as IPv4",
          "[address]") {
    address_table table({2, 0}, hash_key{1});
    const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
    address_table::ticket a, b, c, d;
    CHECK(table.try_admit(addr("2001:db8:1:2::1"), t0, a) == admission::admitted);
    CHECK(table.try_admit(addr("2001:db8:1:2:ffff::2"), t0, b) == admission::admitted);
    CHECK(table.try_admit(addr("2001:db8:1:2::3"), t0, c) == admission::too_many_open);
    CHECK(table.try_admit(addr("2001:db8:1:3::1"), t0, c) == admission::admitted);
    CHECK(table.try_admit(addr("192.0.2.1"), t0, d) == admission::admitted);
    CHECK(table.try_admit(addr("::ffff:192.0.2.1"), t0, d) == admission::admitted);
    address_table::ticket e;
    CHECK(table.try_admit(addr("192.0.2.1"), t0, e) == admission::too_many_open);
    CHECK(table.retry_after_seconds(admission::too_many_open, addr("192.0.2.1"), t0) == 10);
    CHECK(table.tracked() == 3);
    table.release(a, t0);
    CHECK(table.try_admit(addr("2001:db8:1:2::9"), t0, a) == admission::admitted);
    // Nothing open and no rate: forgotten at once.
    table.release(c, t0);
    CHECK(table.tracked() == 2);
}

TEST_CASE("address table: the new-connection rate refuses, then allows again after the minute",
          "[address]") {
    address_table table({0, 3}, hash_key{2});
    const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
    const auto client = addr("198.51.100.7");
    address_table::ticket held;
    for (int i = 0; i < 3; ++i) {
        REQUIRE(table.try_admit(client, t0, held) == admission::admitted);
        table.release(held, t0);
    }
    CHECK(table.try_admit(client, t0, held) == admission::too_many_new);
    // One token per 20 s: Retry-After says when.
    CHECK(table.retry_after_seconds(admission::too_many_new, client, t0) == 20);
    CHECK(table.retry_after_seconds(admission::too_many_new, client, t0 + 15500ms) == 5);
    CHECK(table.try_admit(client, t0 + 19999ms, held) == admission::too_many_new);
    CHECK(table.try_admit(client, t0 + 20s, held) == admission::admitted);
    table.release(held, t0 + 20s);
    CHECK(table.try_admit(addr("198.51.100.8"), t0, held) == admission::admitted);
    table.release(held, t0);
    // Held until its bucket is full again, a minute after its last admission.
    table.sweep(t0 + 79s);
    CHECK(table.tracked() == 1);
    table.sweep(t0 + 80s);
    CHECK(table.tracked() == 0);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(table.try_admit(client, t0 + 80s, held) == admission::admitted);
        table.release(held, t0 + 80s);
    }
    CHECK(table.try_admit(client, t0 + 80s, held) == admission::too_many_new);
}

TEST_CASE("address table: open connections are refused before the rate is charged", "[address]") {
    address_table table({1, 2}, hash_key{3});
    const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
    const auto client = addr("203.0.113.1");
    address_table::ticket first, other;
    REQUIRE(table.try_admit(client, t0, first) == admission::admitted);
    CHECK(table.try_admit(client, t0, other) == admission::too_many_open);
    CHECK(table.try_admit(client, t0, other) == admission::too_many_open);
    table.release(first, t0);
    CHECK(table.try_admit(client, t0, other) == admission::admitted);
    table.release(other, t0);
    CHECK(table.try_admit(client, t0, other) == admission::too_many_new);
    CHECK_FALSE(address_table({0, 0}, hash_key{}).enabled());
}
