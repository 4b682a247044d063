#pragma once
// Strict UTF-8 decoding (RFC 3629) and the character classes the contract
// refuses in interests, SDP and candidates.

#include <cstddef>
#include <string_view>

namespace onymous::protocol::utf8 {

/// Decodes the sequence at text[pos] into cp and moves pos past it. Returns
/// false (pos unspecified) on an overlong form, a surrogate, a code point
/// beyond U+10FFFF, a truncated sequence or a stray continuation byte.
bool decode(std::string_view text, std::size_t& pos, char32_t& cp);

/// C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F).
constexpr bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

/// U+200B-U+200D, U+2060, U+FEFF, U+180E.
constexpr bool is_zero_width(char32_t cp) {
    return (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF || cp == 0x180E;
}

/// U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069.
constexpr bool is_bidi_control(char32_t cp) {
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/// True when every byte is valid UTF-8 and no character is a control one.
bool is_clean_text(std::string_view text);

}  // namespace onymous::protocol::utf8
