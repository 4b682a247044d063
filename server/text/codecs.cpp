#include <onymous/text/codecs.hpp>

#include <array>

namespace onymous::text {

namespace {

constexpr char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char hex_digits[] = "0123456789abcdef";

/// Each character's six bits, or -1 for a character outside the alphabet:
/// a table, as every join and next with proof of work decodes a prefix.
constexpr std::array<std::int8_t, 256> sextets = [] {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(base64url_alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}();

int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string to_base64url(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t bits = 0;
    int pending = 0;
    for (const std::uint8_t b : bytes) {
        bits = (bits << 8) | b;
        pending += 8;
        while (pending >= 6) {
            pending -= 6;
            out.push_back(base64url_alphabet[(bits >> pending) & 0x3f]);
        }
    }
    if (pending > 0) out.push_back(base64url_alphabet[(bits << (6 - pending)) & 0x3f]);
    return out;
}

bool from_base64url(std::string_view text, std::span<std::uint8_t> out) {
    if (text.size() != (out.size() * 4 + 2) / 3) return false;
    std::uint32_t bits = 0;
    int pending = 0;
    std::size_t o = 0;
    for (const char c : text) {
        const int v = sextets[static_cast<unsigned char>(c)];
        if (v < 0) return false;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        pending += 6;
        if (pending >= 8) {
            pending -= 8;
            out[o++] = static_cast<std::uint8_t>(bits >> pending);
        }
    }
    // What is left of a last partial group must be zero bits.
    return (bits & ((1u << pending) - 1)) == 0;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const std::uint8_t b : bytes) {
        out.push_back(hex_digits[b >> 4]);
        out.push_back(hex_digits[b & 0xf]);
    }
    return out;
}

bool from_hex(std::string_view text, std::span<std::uint8_t> out) {
    if (text.size() != out.size() * 2) return false;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = nibble(text[2 * i]);
        const int lo = nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return true;
}

}  // namespace onymous::text
