#include <onymous/protocol/parse.hpp>

#include "protocol/utf8.hpp"

namespace onymous::protocol {

namespace {

// The ASCII white space of the contract: space, \t, \n, \v, \f, \r.
bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
    return text;
}

}  // namespace

interest_problem normalise_interest_checked(std::string_view raw, std::string& out) {
    const std::string_view trimmed = trim(raw);
    if (trimmed.empty()) return interest_problem::empty;
    if (trimmed.size() > max_interest_bytes) return interest_problem::too_long;

    // Only A-Z are folded: "ÉCOLE" becomes "École", never "école", so that
    // matching stays byte for byte and locale-free.
    out.assign(trimmed);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }

    std::size_t pos = 0;
    char32_t cp = 0;
    while (pos < out.size()) {
        if (!utf8::decode(out, pos, cp)) return interest_problem::invalid_utf8;
        if (utf8::is_control(cp)) return interest_problem::control_character;
        if (utf8::is_zero_width(cp)) return interest_problem::zero_width;
        if (utf8::is_bidi_control(cp)) return interest_problem::bidi_control;
    }
    return interest_problem::none;
}

bool normalise_interest(std::string_view raw, std::string& out) {
    return normalise_interest_checked(raw, out) == interest_problem::none;
}

}  // namespace onymous::protocol
