#pragma once
// `waiting` as bytes, written straight from its fields: it answers every
// join and next, and with proof of work on it carries the next challenge.
// Built as a DOM and serialised, that object was a measurable part of what
// proofs cost a churning server (docs/performance.md, Proof of work on the
// server). Byte for byte what nlohmann's dump() of the same ordered object
// gives, so that clients cannot tell.

#include <onymous/abuse/proof_of_work.hpp>

#include <optional>
#include <string>

namespace onymous::protocol {

/// {"type":"waiting"} or {"type":"waiting","challenge":{"prefix","bits",
/// "count","expiresMs"}}, with room reserved for the seq (append_seq).
std::string waiting_text(const std::optional<abuse::challenge>& challenge);

}  // namespace onymous::protocol
