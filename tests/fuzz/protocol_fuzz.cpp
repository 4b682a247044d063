// libFuzzer target for the protocol parser (tests/fuzz/CMakeLists.txt, docs/testing.md).
// Besides crashes and sanitizer reports it checks properties: whatever parse()
// accepts survives serialisation and parses back to the same thing, errors
// never echo anything but a short printable type, and the helpers agree; and
// the reader under parse() accepts exactly what nlohmann does, with the same
// values (nlohmann is the oracle here, and only here).
#include "protocol/json_reader.hpp"

#include <onymous/protocol/parse.hpp>
#include <onymous/protocol/serialize.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <variant>

using namespace onymous::protocol;

namespace {

const parse_limits limits{1024, 4};

void require(bool condition) {
    if (!condition) std::abort();
}

bool is_client_type(std::string_view type) {
    for (const std::string_view known :
         {"join", "offer", "answer", "candidate", "next", "leave", "ping", "resume"}) {
        if (type == known) return true;
    }
    return false;
}

client_message reparse(const std::string& wire) {
    const parse_result again = parse(wire, limits);
    require(std::holds_alternative<client_message>(again));
    return std::get<client_message>(again);
}

void check_error(const parse_error& error, std::string_view text) {
    require(!error.message.empty());
    require(error.ref.size() <= max_echoed_type_bytes);
    for (const char c : error.ref) require(c >= 0x20 && c <= 0x7E);
    if (error.code != error_code::unknown_type) {
        require(error.ref.empty() || is_client_type(error.ref));
    } else if (!error.ref.empty()) {
        // The client's own type, JSON escapes resolved ("h\u0065llo" is echoed as "hello").
        const auto message = nlohmann::json::parse(text, nullptr, false);
        require(message.is_object() && message.contains("type") && message["type"] == error.ref);
        require(!is_client_type(error.ref));
    }
    (void)finish(make_error(error.code, error.message, error.ref));
}

void check_join(const join_message& join) {
    require(join.interests.size() <= limits.max_interests);
    std::string again;
    for (std::size_t i = 0; i < join.interests.size(); ++i) {
        require(normalise_interest(join.interests[i], again) && again == join.interests[i]);
        for (std::size_t j = 0; j < i; ++j) require(join.interests[j] != join.interests[i]);
    }
    (void)finish(make_matched(role::offerer, join.interests), 1);
}

void check_sdp(const sdp_message& message) {
    require(check_sdp_grammar(message.sdp, limits.max_sdp_bytes).empty());
    (void)check_sdp_mode(message.sdp, chat_mode::text);
    const auto again = std::get<sdp_message>(reparse(finish(make_sdp(message), 1)));
    require(again.kind == message.kind && again.sdp == message.sdp);
}

void check_candidate(const candidate_message& message) {
    const auto again = std::get<candidate_message>(reparse(finish(make_candidate(message), 1)));
    require(again.candidate.has_value() == message.candidate.has_value());
    if (!message.candidate) return;
    require(again.candidate->candidate == message.candidate->candidate);
    require(again.candidate->sdp_mid == message.candidate->sdp_mid);
    require(again.candidate->sdp_mline_index == message.candidate->sdp_mline_index);
    require(again.candidate->username_fragment == message.candidate->username_fragment);
}

// The helpers on raw bytes, which parse() only ever gives valid UTF-8.
void check_raw(std::string_view text) {
    std::string interest;
    if (normalise_interest(text, interest)) {
        require(!interest.empty() && interest.size() <= max_interest_bytes);
        std::string again;
        require(normalise_interest(interest, again) && again == interest);
    }
    if (check_sdp_grammar(text, limits.max_sdp_bytes).empty()) {
        require(text.starts_with("v=0") && text.ends_with("\n"));
        (void)check_sdp_mode(text, chat_mode::text);
        const sdp_message message{sdp_kind::answer, std::string(text)};
        require(std::get<sdp_message>(reparse(finish(make_sdp(message), 1))).sdp == text);
    }
}

bool same(const json_reader::document& doc, const json_reader::value& mine,
          const nlohmann::json& theirs) {
    switch (mine.kind) {
    case json_reader::kind::null: return theirs.is_null();
    case json_reader::kind::boolean:
        return theirs.is_boolean() && theirs.get<bool>() == mine.boolean;
    case json_reader::kind::string:
        return theirs.is_string() && theirs.get_ref<const std::string&>() == mine.text;
    case json_reader::kind::number:
        switch (mine.number) {
        case json_reader::number_kind::unsigned_integer:
            return theirs.is_number_unsigned() &&
                   theirs.get<std::uint64_t>() == mine.unsigned_value;
        case json_reader::number_kind::signed_integer:
            return theirs.is_number_integer() && !theirs.is_number_unsigned() &&
                   theirs.get<std::int64_t>() == mine.signed_value;
        case json_reader::number_kind::floating: return theirs.is_number_float();
        }
        return false;
    case json_reader::kind::array:
        if (!theirs.is_array() || theirs.size() != mine.size) return false;
        for (std::size_t i = 0; i < mine.size; ++i) {
            if (!same(doc, doc.element(mine, i), theirs[i])) return false;
        }
        return true;
    case json_reader::kind::object: {
        if (!theirs.is_object()) return false;
        std::map<std::string, const json_reader::value*> members;  // the last of duplicates
        for (std::size_t i = 0; i < mine.size; ++i) {
            const json_reader::value& member = doc.element(mine, i);
            members[std::string(member.key)] = &member;
        }
        if (members.size() != theirs.size()) return false;
        for (const auto& [key, member] : members) {
            const auto it = theirs.find(key);
            if (it == theirs.end() || doc.find(mine, key) != member || !same(doc, *member, *it))
                return false;
        }
        return true;
    }
    }
    return false;
}

void check_reader(std::string_view text) {
    // nlohmann stops at a NUL (parse() refuses those itself) and recurses
    // without bound, where the reader stops at 512 levels.
    if (text.find('\0') != std::string_view::npos) return;
    if (std::count_if(text.begin(), text.end(), [](char c) { return c == '[' || c == '{'; }) > 400)
        return;
    json_reader::document doc;
    const bool mine = doc.read(text);
    const auto theirs = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    require(mine == !theirs.is_discarded());
    if (mine) require(same(doc, doc.root(), theirs));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const parse_result result = parse(text, limits);
    if (const auto* error = std::get_if<parse_error>(&result)) {
        check_error(*error, text);
    } else {
        const client_message& message = std::get<client_message>(result);
        if (const auto* join = std::get_if<join_message>(&message)) check_join(*join);
        if (const auto* sdp = std::get_if<sdp_message>(&message)) check_sdp(*sdp);
        if (const auto* candidate = std::get_if<candidate_message>(&message)) {
            check_candidate(*candidate);
        }
    }
    check_raw(text);
    check_reader(text);
    return 0;
}
