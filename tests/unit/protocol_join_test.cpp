// join: mode, interest count, normalisation, refusal reasons and dedupe.
#include <onymous/protocol/parse.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace onymous::protocol;

namespace {

parse_result parse_join(const nlohmann::json& fields, parse_limits limits = {}) {
    nlohmann::json message = fields;
    message["type"] = "join";
    return parse(message.dump(), limits);
}

join_message accepted(const nlohmann::json& fields, parse_limits limits = {}) {
    const parse_result result = parse_join(fields, limits);
    if (const auto* error = std::get_if<parse_error>(&result)) FAIL(error->message);
    return std::get<join_message>(std::get<client_message>(result));
}

void check_refused(const nlohmann::json& fields, std::string_view message,
                   parse_limits limits = {}) {
    INFO(fields.dump());
    const parse_result result = parse_join(fields, limits);
    REQUIRE(std::holds_alternative<parse_error>(result));
    const auto& error = std::get<parse_error>(result);
    CHECK(error.code == error_code::invalid_message);
    CHECK(error.message == message);
    CHECK(error.ref == "join");
}

std::vector<std::string> interests_of(const nlohmann::json& list) {
    return accepted({{"interests", list}}).interests;
}

std::string repeat(std::string_view piece, std::size_t times) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i) out += piece;
    return out;
}

}  // namespace

TEST_CASE("join mode defaults to video and accepts only text or video", "[protocol]") {
    CHECK(accepted(nlohmann::json::object()).mode == chat_mode::video);
    CHECK(accepted({{"mode", "video"}}).mode == chat_mode::video);
    CHECK(accepted({{"mode", "text"}}).mode == chat_mode::text);
    CHECK(accepted(nlohmann::json::object()).interests.empty());
    for (const nlohmann::json& mode :
         {nlohmann::json("TEXT"), nlohmann::json("audio"), nlohmann::json(""), nlohmann::json(1),
          nlohmann::json(nullptr), nlohmann::json::array({"text"})}) {
        check_refused({{"mode", mode}}, R"(mode must be "text" or "video")");
    }
}

TEST_CASE("join interests must be an array of at most max_interests strings", "[protocol]") {
    CHECK(interests_of(nlohmann::json::array()).empty());
    for (const nlohmann::json& list : {nlohmann::json("music"), nlohmann::json(nullptr),
                                       nlohmann::json::object(), nlohmann::json(3)}) {
        check_refused({{"interests", list}}, "interests must be an array of strings");
    }
    check_refused({{"interests", {"music", 5}}}, "interests[1] must be a string");
    check_refused({{"interests", {nullptr}}}, "interests[0] must be a string");

    SECTION("the raw count is bounded, before dedupe") {
        const parse_limits three{32768, 3};
        CHECK(accepted({{"interests", {"a", "b", "c"}}}, three).interests.size() == 3);
        check_refused({{"interests", {"a", "b", "c", "d"}}}, "too many interests", three);
        check_refused({{"interests", {"a", "a", "a", "a"}}}, "too many interests", three);
        CHECK(accepted({{"interests", nlohmann::json::array()}}, parse_limits{32768, 0})
                  .interests.empty());
        check_refused({{"interests", {"a"}}}, "too many interests", parse_limits{32768, 0});
        CHECK(parse_limits{}.max_interests == 10);
    }
}

TEST_CASE("interests are trimmed of ASCII white space and ASCII-lower-cased", "[protocol]") {
    CHECK(interests_of({"  Music\t"}) == std::vector<std::string>{"music"});
    CHECK(interests_of({" \t\n\v\f\rChess \t\n\v\f\r"}) == std::vector<std::string>{"chess"});
    CHECK(interests_of({"Rock And Roll"}) == std::vector<std::string>{"rock and roll"});
    // Only A-Z fold: É (U+00C9) stays upper case, and no locale is involved.
    CHECK(interests_of({"\u00C9COLE"}) == std::vector<std::string>{"\u00C9cole"});
    CHECK(interests_of({"\u00C9COLE", "\u00E9cole"}) ==
          std::vector<std::string>{"\u00C9cole", "\u00E9cole"});
    // U+00A0 is not ASCII white space: it is neither trimmed nor refused.
    CHECK(interests_of({"\u00A0go"}) == std::vector<std::string>{"\u00A0go"});
}

TEST_CASE("duplicates collapse after normalisation, keeping first-seen order", "[protocol]") {
    CHECK(interests_of({"Chess", "music", " chess ", "MUSIC", "go", "chess"}) ==
          std::vector<std::string>{"chess", "music", "go"});
}

TEST_CASE("an interest must be 1 to 32 bytes after trimming", "[protocol]") {
    const std::string ascii_32(32, 'a');
    CHECK(interests_of({"  " + ascii_32 + "  "}) == std::vector<std::string>{ascii_32});
    check_refused({{"interests", {std::string(33, 'a')}}}, "interests[0] is longer than 32 bytes");
    // Bytes, not characters: 16 two-byte characters fit, 11 three-byte ones do not.
    CHECK(interests_of({repeat("\u00E9", 16)}) == std::vector<std::string>{repeat("\u00E9", 16)});
    check_refused({{"interests", {repeat("\u20AC", 11)}}}, "interests[0] is longer than 32 bytes");
    check_refused({{"interests", {"ok", ""}}}, "interests[1] is empty after trimming");
    check_refused({{"interests", {" \t\r\n"}}}, "interests[0] is empty after trimming");
}

TEST_CASE("interests with control, zero-width or bidi characters are refused", "[protocol]") {
    const std::string control = "interests[0] contains a control character";
    for (const char* bad :
         {"a\u0001b", "a\u001Fb", "a\u007Fb", "a\u0080b", "a\u0085b", "a\u009Fb", " \u0085music"}) {
        check_refused({{"interests", {bad}}}, control);
    }
    check_refused({{"interests", {std::string("a\0b", 3)}}}, control);

    for (const char* bad :
         {"a\u200Bb", "a\u200Cb", "a\u200Db", "a\u2060b", "\uFEFFab", "a\u180Eb"}) {
        check_refused({{"interests", {bad}}}, "interests[0] contains a zero-width character");
    }
    for (const char* bad :
         {"a\u061Cb", "a\u200Eb", "a\u200Fb", "a\u202Ab", "a\u202Bb", "a\u202Cb", "a\u202Db",
          "a\u202Eb", "a\u2066b", "a\u2067b", "a\u2068b", "a\u2069b"}) {
        check_refused({{"interests", {bad}}}, "interests[0] contains a bidi control character");
    }
    // Neighbours of the refused ranges are ordinary characters.
    for (const char* fine : {"a\u00A0b", "a\u200Ab", "a\u2010b", "a\u2028b", "a\u2065b", "a\u206Ab",
                             "a\u180Db", "a\u180Fb", "a\u061Bb", "a\uFEFEb"}) {
        CHECK(interests_of({fine}) == std::vector<std::string>{fine});
    }
}

TEST_CASE("the first bad interest is the one reported", "[protocol]") {
    check_refused({{"interests", {"ok", "fine", "a\u200Bb", ""}}},
                  "interests[2] contains a zero-width character");
}

TEST_CASE("normalise_interest checks UTF-8 strictly", "[protocol]") {
    std::string out;
    struct sample {
        std::string_view bytes;
        interest_problem expected;
    };
    for (const sample& s : {
             sample{"\xC0\xAF", interest_problem::invalid_utf8},          // overlong '/'
             sample{"\xC1\xBF", interest_problem::invalid_utf8},          // overlong
             sample{"\xE0\x80\xAF", interest_problem::invalid_utf8},      // overlong 3-byte
             sample{"\xF0\x80\x80\xAF", interest_problem::invalid_utf8},  // overlong 4-byte
             sample{"\xED\xA0\x80", interest_problem::invalid_utf8},      // U+D800
             sample{"\xED\xBF\xBF", interest_problem::invalid_utf8},      // U+DFFF
             sample{"\xF4\x90\x80\x80", interest_problem::invalid_utf8},  // U+110000
             sample{"\xF5\x80\x80\x80", interest_problem::invalid_utf8},
             sample{"\xFF", interest_problem::invalid_utf8},
             sample{"a\x80", interest_problem::invalid_utf8},     // stray continuation
             sample{"\xE2\x82", interest_problem::invalid_utf8},  // truncated
             sample{"\xC3", interest_problem::invalid_utf8},
             sample{"\xE2\x28\xAC", interest_problem::invalid_utf8},      // bad 2nd byte
             sample{"\xE2\x82\x28", interest_problem::invalid_utf8},      // bad 3rd byte
             sample{"\xF0\x9F\x8E\x28", interest_problem::invalid_utf8},  // bad 4th byte
             sample{"\xF0\x9F\x8E\xB5", interest_problem::none},          // U+1F3B5
             sample{"\xF4\x8F\xBF\xBF", interest_problem::none},          // U+10FFFF
             sample{"\xED\x9F\xBF", interest_problem::none},              // U+D7FF
             sample{"\xEE\x80\x80", interest_problem::none},              // U+E000
             sample{"\xC2\xA0", interest_problem::none},                  // U+00A0
             sample{"\xC2\x80", interest_problem::control_character},     // U+0080
         }) {
        INFO("sample of " << s.bytes.size() << " bytes starting 0x" << std::hex
                          << static_cast<int>(static_cast<unsigned char>(s.bytes[0])));
        CHECK(normalise_interest_checked(s.bytes, out) == s.expected);
        CHECK(normalise_interest(s.bytes, out) == (s.expected == interest_problem::none));
    }
    CHECK(normalise_interest(" Jazz ", out));
    CHECK(out == "jazz");
}

TEST_CASE("invalid UTF-8 in the JSON text never reaches the interest check", "[protocol]") {
    const parse_result result =
        parse("{\"type\":\"join\",\"interests\":[\"\xED\xA0\x80\"]}", parse_limits{});
    REQUIRE(std::holds_alternative<parse_error>(result));
    CHECK(std::get<parse_error>(result).code == error_code::bad_json);
}
