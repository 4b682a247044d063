#pragma once
// Pieces of parse() shared between its translation units. Each parse_x takes
// the whole (already type-checked) message object.

#include <onymous/protocol/parse.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace onymous::protocol::detail {

using json = nlohmann::json;

/// A parse_result that refuses the message.
inline parse_result refuse(error_code code, std::string message, std::string_view ref) {
    return parse_error{code, std::move(message), std::string(ref)};
}

/// `join`: mode and interests.
parse_result parse_join(const json& message, const parse_limits& limits);

/// `candidate`: null, or an RTCIceCandidateInit object.
parse_result parse_candidate(const json& message);

}  // namespace onymous::protocol::detail
