#pragma once
// Pieces of parse() shared between its translation units. Each parse_x takes
// the read document and its (already type-checked) message object.

#include <onymous/protocol/parse.hpp>

#include "protocol/json_reader.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::protocol::detail {

/// A parse_result that refuses the message.
inline parse_result refuse(error_code code, std::string message, std::string_view ref) {
    return parse_error{code, std::move(message), std::string(ref)};
}

/// `join`: mode and interests.
parse_result parse_join(const json_reader::document& doc, const json_reader::value& message,
                        const parse_limits& limits);

/// The optional "proof" of join and next into `out`: an array of at most
/// max_proof_entries strings of at most max_proof_entry_bytes each. Only the
/// bounds; the nonces' content is the proof of work's to judge. A refusal,
/// or nullopt when acceptable.
std::optional<parse_error> parse_proof(const json_reader::document& doc,
                                       const json_reader::value& message, std::string_view ref,
                                       std::vector<std::string>& out);

/// `candidate`: null, or an RTCIceCandidateInit object.
parse_result parse_candidate(const json_reader::document& doc, const json_reader::value& message);

}  // namespace onymous::protocol::detail
