// libFuzzer target for the PROXY protocol v2 parser (tests/fuzz/CMakeLists.txt,
// docs/testing.md). The input is what a load balancer sends first. Besides crashes and
// sanitizer reports it checks, against the header and HAProxy's proxy-protocol.txt:
// - nothing is read past a span: each call gets an exactly sized heap copy, so that ASan
//   sees an over-read even where the fuzzer's input goes on;
// - rest_length() refuses exactly the fixed parts proxy_v2.hpp lists (for PROXY, the
//   family/transport pairs the spec leaves undefined), else gives the length field; where it
//   refuses, parse() refuses the same bytes;
// - parse() accepts only 16 + rest_length() bytes, and of those refuses only an address
//   block shorter than its family needs, as the network code relies on;
// - what parse() returns matches the bytes: no source for LOCAL, UNSPEC or UNIX; for INET
//   the 4 source bytes (is_v4(), and they round-trip), for INET6 the 16.
#include <onymous/address/ip.hpp>
#include <onymous/address/proxy_v2.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <span>
#include <variant>
#include <vector>

using namespace onymous::address;

namespace {

void require(bool condition, const char* property) {
    if (!condition) {
        std::fprintf(stderr, "property broken: %s\n", property);
        std::abort();
    }
}

constexpr std::array<std::uint8_t, 12> signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::uint8_t local = 0x0, proxy = 0x1;
constexpr std::uint8_t unspec = 0x0, inet = 0x1, inet6 = 0x2, unix_family = 0x3;

// The fixed part as the specification reads it.
struct fixed_fields {
    bool signed_v2 = false;  ///< signature and version 2
    std::uint8_t command = 0, family = 0, transport = 0;
    std::size_t length = 0;
};

fixed_fields fields_of(std::span<const std::uint8_t, proxy_v2::fixed_bytes> fixed) {
    fixed_fields f;
    f.signed_v2 =
        std::equal(signature.begin(), signature.end(), fixed.begin()) && (fixed[12] >> 4) == 2;
    f.command = fixed[12] & 0x0F;
    f.family = fixed[13] >> 4;
    f.transport = fixed[13] & 0x0F;
    f.length = (std::size_t{fixed[14]} << 8) | fixed[15];
    return f;
}

std::size_t block_needed(std::uint8_t family) {
    switch (family) {
    case inet: return 4 + 4 + 2 + 2;
    case inet6: return 16 + 16 + 2 + 2;
    case unix_family: return 108 + 108;
    default: return 0;
    }
}

// A failure's reason is never a view of the input.
template <class Result>
void check_reason(const Result& result, std::span<const std::uint8_t> input) {
    const auto* failed = std::get_if<proxy_v2::failure>(&result);
    if (failed == nullptr) return;
    const auto* reason = reinterpret_cast<const std::uint8_t*>(failed->reason.data());
    require(!failed->reason.empty(), "a failure says why");
    require(
        std::less<>()(reason, input.data()) || !std::less<>()(reason, input.data() + input.size()),
        "a failure's reason holds no input bytes");
}

// rest_length() on an exactly sized copy of the fixed part.
std::variant<std::size_t, proxy_v2::failure> rest_length_of(std::span<const std::uint8_t> bytes) {
    const std::vector<std::uint8_t> copy(bytes.begin(), bytes.begin() + proxy_v2::fixed_bytes);
    const auto result = proxy_v2::rest_length(std::span(copy).first<proxy_v2::fixed_bytes>());
    const fixed_fields f = fields_of(std::span(copy).first<proxy_v2::fixed_bytes>());
    // The header's reasons. PROXY takes only the family/transport pairs the spec
    // defines (UNSPEC/UNSPEC, or TCP or UDP over INET, INET6 or UNIX); LOCAL ignores
    // the byte.
    const bool defined_family =
        (f.family == unspec && f.transport == 0) ||
        (f.family >= inet && f.family <= unix_family && (f.transport == 1 || f.transport == 2));
    const bool acceptable = f.signed_v2 && (f.command == local || f.command == proxy) &&
                            f.length <= proxy_v2::max_rest_bytes &&
                            (f.command == local || defined_family);
    if (const auto* length = std::get_if<std::size_t>(&result)) {
        require(acceptable, "rest_length() accepts only what the header allows");
        require(*length == f.length, "rest_length() is the length field");
    } else {
        require(!acceptable, "rest_length() refuses only what the header lists");
        check_reason(result, copy);
    }
    return result;
}

// parse() on an exactly sized copy of `bytes`.
void check_parse(std::span<const std::uint8_t> bytes) {
    const std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    const auto result = proxy_v2::parse(copy);
    check_reason(result, copy);
    if (copy.size() < proxy_v2::fixed_bytes) {
        require(std::holds_alternative<proxy_v2::failure>(result), "a short header is refused");
        return;
    }
    const auto length = rest_length_of(copy);
    if (std::holds_alternative<proxy_v2::failure>(length)) {
        require(std::holds_alternative<proxy_v2::failure>(result),
                "parse() refuses what rest_length() refuses");
        return;
    }
    const fixed_fields f = fields_of(std::span(copy).first<proxy_v2::fixed_bytes>());
    const std::size_t rest = std::get<std::size_t>(length);
    if (copy.size() != proxy_v2::fixed_bytes + rest) {
        require(std::holds_alternative<proxy_v2::failure>(result),
                "parse() refuses a total that does not match the length");
        return;
    }
    const bool short_block = f.command == proxy && rest < block_needed(f.family);
    const auto* parsed = std::get_if<proxy_v2::header>(&result);
    require(short_block == (parsed == nullptr),
            "parse() refuses exactly a block shorter than its family needs");
    if (parsed == nullptr) return;

    const auto block = std::span(copy).subspan(proxy_v2::fixed_bytes);
    if (f.command == local || f.family == unspec || f.family == unix_family) {
        require(!parsed->source, "no source for LOCAL, UNSPEC or UNIX");
    } else if (f.family == inet) {
        std::array<std::uint8_t, 4> v4{};
        std::copy_n(block.begin(), v4.size(), v4.begin());
        require(parsed->source && parsed->source->is_v4(), "an INET source is IPv4");
        require(*parsed->source == from_v4_bytes(v4), "the INET source bytes");
        require(std::equal(v4.begin(), v4.end(), parsed->source->bytes.begin() + 12),
                "an IPv4 source round-trips");
    } else {
        std::array<std::uint8_t, 16> v6{};
        std::copy_n(block.begin(), v6.size(), v6.begin());
        require(parsed->source && parsed->source->bytes == v6, "the INET6 source bytes");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    check_parse(input);
    // The network code's way: the fixed part, then exactly rest_length() more bytes.
    if (size > proxy_v2::fixed_bytes) {
        const auto length = rest_length_of(input);
        if (const auto* rest = std::get_if<std::size_t>(&length)) {
            if (proxy_v2::fixed_bytes + *rest < size) {
                check_parse(input.first(proxy_v2::fixed_bytes + *rest));
            }
        }
    }
    return 0;
}
