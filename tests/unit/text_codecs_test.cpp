// Bytes as text (text/codecs.hpp): base64url without padding and hex, with
// RFC 4648's test vectors, and one spelling per byte string.

#include <onymous/text/codecs.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

using namespace onymous::text;

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("base64url: RFC 4648's vectors, unpadded", "[text][codecs]") {
    // RFC 4648 §10, with the padding taken off.
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        INFO(plain);
        const auto raw = bytes_of(plain);
        CHECK(to_base64url(raw) == encoded);
        std::vector<std::uint8_t> back(raw.size());
        CHECK(from_base64url(encoded, back));
        CHECK(back == raw);
    }
    // The two characters that differ from base64's.
    const std::array<std::uint8_t, 3> high{0xfb, 0xff, 0xbf};
    CHECK(to_base64url(high) == "-_-_");
}

TEST_CASE("base64url: only the one spelling of exactly the bytes asked for", "[text][codecs]") {
    std::array<std::uint8_t, 2> two{};
    CHECK(from_base64url("Zm8", two));
    CHECK_FALSE(from_base64url("Zm9", two));   // bits left over that are not zero
    CHECK_FALSE(from_base64url("Zm8=", two));  // padding
    CHECK_FALSE(from_base64url("Zm", two));    // too short
    CHECK_FALSE(from_base64url("Zm+", two));   // base64's alphabet, not base64url's
    CHECK_FALSE(from_base64url("Zm/", two));
}

TEST_CASE("hex: lowercase out, either case in, exact length", "[text][codecs]") {
    const std::array<std::uint8_t, 4> raw{0x00, 0x1f, 0xa0, 0xff};
    CHECK(to_hex(raw) == "001fa0ff");
    std::array<std::uint8_t, 4> back{};
    CHECK(from_hex("001FA0ff", back));
    CHECK(back == raw);
    CHECK_FALSE(from_hex("001fa0f", back));
    CHECK_FALSE(from_hex("001fa0ff00", back));
    CHECK_FALSE(from_hex("001fa0fg", back));
    CHECK(to_hex(std::span<const std::uint8_t>{}) == "");
}
