#pragma once
// Relayed messages as bytes: the sender serialises a validated offer,
// answer or candidate once, straight from its fields, into wire text
// without `seq`; the receiving session, the only one that knows its count,
// appends its own seq. What crosses threads is this string, never a DOM.
// The text is byte for byte what finish(make_sdp(m), seq) would give.

#include <onymous/protocol/messages.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace onymous::protocol {

/// {"type":"offer"|"answer","sdp":"…"}, with room reserved for the seq.
std::string relay_text(const sdp_message& message);
/// {"type":"candidate","candidate":{…}|null}, with room reserved for the seq.
std::string relay_text(const candidate_message& message);

/// `{…}` becomes `{…,"seq":N}`: the wire text of a sequenced message.
void append_seq(std::string& text, std::uint64_t seq);
/// What append_seq() adds at most (`,"seq":`, 20 digits, `}`): reserved by
/// whoever writes a text, so that appending the seq never reallocates.
inline constexpr std::size_t seq_room = 28;

/// Appends `value` in decimal.
void append_number(std::string& out, std::uint64_t value);

/// Appends `value` as a JSON string, escaped as nlohmann's dump() does
/// (the input is valid UTF-8, which passes through unescaped).
void append_json_string(std::string& out, std::string_view value);

}  // namespace onymous::protocol
