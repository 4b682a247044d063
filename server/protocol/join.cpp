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
