#include "protocol/parse_detail.hpp"

#include <algorithm>

namespace onymous::protocol::detail {

namespace {

constexpr std::string_view ref = "join";

std::string_view describe(interest_problem problem) {
    switch (problem) {
    case interest_problem::none: break;
    case interest_problem::empty: return "] is empty after trimming";
    case interest_problem::too_long: return "] is longer than 32 bytes";
    case interest_problem::invalid_utf8: return "] is not valid UTF-8";
    case interest_problem::control_character: return "] contains a control character";
    case interest_problem::zero_width: return "] contains a zero-width character";
    case interest_problem::bidi_control: return "] contains a bidi control character";
    }
    return "] is invalid";
}

// The index is ours, not the client's data, so it may appear in the text.
parse_result refuse_interest(std::size_t index, std::string_view what) {
    std::string text = "interests[";
    text += std::to_string(index);
    text += what;
    return refuse(error_code::invalid_message, std::move(text), ref);
}

}  // namespace

std::optional<parse_error> parse_proof(const json_reader::document& doc,
                                       const json_reader::value& message, std::string_view where,
                                       std::vector<std::string>& out) {
    const json_reader::value* proof = doc.find(message, "proof");
    if (proof == nullptr) return std::nullopt;
    if (!proof->is_array()) {
        return parse_error{error_code::invalid_message, "proof must be an array of strings",
                           std::string(where)};
    }
    if (proof->size > max_proof_entries) {
        return parse_error{error_code::invalid_message, "proof has more than 64 entries",
                           std::string(where)};
    }
    out.reserve(proof->size);
    for (std::size_t i = 0; i < proof->size; ++i) {
        const json_reader::value& nonce = doc.element(*proof, i);
        if (!nonce.is_string() || nonce.text.size() > max_proof_entry_bytes) {
            std::string text = "proof[";
            text += std::to_string(i);
            text += nonce.is_string() ? "] is longer than 64 bytes" : "] must be a string";
            return parse_error{error_code::invalid_message, std::move(text), std::string(where)};
        }
        out.emplace_back(nonce.text);
    }
    return std::nullopt;
}

parse_result parse_join(const json_reader::document& doc, const json_reader::value& message,
                        const parse_limits& limits) {
    join_message join;

    if (const json_reader::value* mode = doc.find(message, "mode"); mode != nullptr) {
        if (mode->is_string() && mode->text == "text") {
            join.mode = chat_mode::text;
        } else if (!mode->is_string() || mode->text != "video") {
            return refuse(error_code::invalid_message, R"(mode must be "text" or "video")", ref);
        }
    }

    if (auto refused = parse_proof(doc, message, ref, join.proof)) return std::move(*refused);

    const json_reader::value* interests = doc.find(message, "interests");
    if (interests == nullptr) return client_message{std::move(join)};
    if (!interests->is_array()) {
        return refuse(error_code::invalid_message, "interests must be an array of strings", ref);
    }
    // The raw count is bounded, before normalisation, so that the work per
    // message is bounded too.
    if (interests->size > limits.max_interests) {
        return refuse(error_code::invalid_message, "too many interests", ref);
    }
    join.interests.reserve(interests->size);
    std::string normalised;
    for (std::size_t i = 0; i < interests->size; ++i) {
        const json_reader::value& raw = doc.element(*interests, i);
        if (!raw.is_string()) return refuse_interest(i, "] must be a string");
        const interest_problem problem = normalise_interest_checked(raw.text, normalised);
        if (problem != interest_problem::none) return refuse_interest(i, describe(problem));
        if (std::find(join.interests.begin(), join.interests.end(), normalised) ==
            join.interests.end()) {
            join.interests.push_back(normalised);
        }
    }
    return client_message{std::move(join)};
}

}  // namespace onymous::protocol::detail
