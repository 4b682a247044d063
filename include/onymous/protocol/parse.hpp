#pragma once
// Parsing and validation of client messages: text in, a validated
// client_message or an error out. No I/O, no state: a fuzzer can drive it.

#include <onymous/protocol/messages.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace onymous::protocol {

/// Fixed bounds of the contract (the configurable ones are in parse_limits).
inline constexpr std::size_t max_json_depth = 32;         ///< deeper nesting is bad_json
inline constexpr std::size_t max_interest_bytes = 32;     ///< after trimming and lower-casing
inline constexpr std::size_t max_candidate_bytes = 1024;  ///< the candidate string
inline constexpr std::size_t max_sdp_mid_bytes = 64;
inline constexpr std::size_t max_username_fragment_bytes = 256;
inline constexpr std::size_t max_resume_token_bytes = 64;
inline constexpr std::size_t max_echoed_type_bytes = 32;  ///< longer unknown types get no ref

struct parse_limits {
    std::size_t max_sdp_bytes = 32768;
    std::size_t max_interests = 10;
};

/// Why a message was refused: the error's code, a human message (never
/// echoing user data) and `ref`, the refused message's type when known.
struct parse_error {
    error_code code;
    std::string message;
    std::string ref;  ///< empty when the type is unknown or absent
};

using parse_result = std::variant<client_message, parse_error>;

/// Parses one text frame. Checks everything that does not depend on the
/// session's state: JSON (nesting at most max_json_depth), shape, field types
/// and bounds, interest normalisation, SDP grammar and size, candidate fields.
/// Never throws; the order of checks and the error texts are in docs/protocol.md.
parse_result parse(std::string_view text, const parse_limits& limits);

/// Normalises one interest: trim ASCII white space, ASCII-lower-case, then
/// 1..32 bytes of valid UTF-8 with no control, zero-width or bidi-control
/// characters. Returns false when the result is not acceptable.
bool normalise_interest(std::string_view raw, std::string& out);

/// Why normalise_interest() refused an interest.
enum class interest_problem : std::uint8_t {
    none,
    empty,              ///< nothing left after trimming
    too_long,           ///< over max_interest_bytes after trimming
    invalid_utf8,       ///< overlong, surrogate, beyond U+10FFFF, truncated or stray byte
    control_character,  ///< C0, DEL or C1
    zero_width,         ///< U+200B-U+200D, U+2060, U+FEFF, U+180E
    bidi_control,       ///< U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069
};

/// normalise_interest() that says why it refused. `out` is only meaningful
/// when the result is interest_problem::none.
interest_problem normalise_interest_checked(std::string_view raw, std::string& out);

/// The SDP grammar of the contract: at most max_bytes, starts with "v=0",
/// lines "<letter>=<value>" (letter a-z) each ended by CRLF or LF, the last
/// one too; no other control characters (C0, DEL, C1) and valid UTF-8.
/// Returns an empty string when valid, else the reason.
std::string check_sdp_grammar(std::string_view sdp, std::size_t max_bytes);

/// In text mode every m= line must be "m=application". Assumes the grammar
/// was checked. Returns an empty string when allowed, else the reason.
std::string check_sdp_mode(std::string_view sdp, chat_mode mode);

}  // namespace onymous::protocol
