#include "protocol/utf8.hpp"

namespace onymous::protocol::utf8 {

namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

bool decode(std::string_view text, std::size_t& pos, char32_t& cp) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80) {
        cp = lead;
        ++pos;
        return true;
    }
    // The ranges of the second byte come from RFC 3629's table: they are what
    // rules out overlong forms (E0, F0), surrogates (ED) and > U+10FFFF (F4).
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        cp = lead & 0x0F;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        cp = lead & 0x07;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return false;  // a continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (text.size() - pos < length) return false;
    const auto second = static_cast<unsigned char>(text[pos + 1]);
    if (second < low || second > high) return false;
    cp = (cp << 6) | (second & 0x3F);
    for (std::size_t i = 2; i < length; ++i) {
        const auto byte = static_cast<unsigned char>(text[pos + i]);
        if (!is_continuation(byte)) return false;
        cp = (cp << 6) | (byte & 0x3F);
    }
    pos += length;
    return true;
}

bool is_clean_text(std::string_view text) {
    std::size_t pos = 0;
    char32_t cp = 0;
    while (pos < text.size()) {
        if (!decode(text, pos, cp) || is_control(cp)) return false;
    }
    return true;
}

}  // namespace onymous::protocol::utf8
