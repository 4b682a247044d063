// parse(): JSON, shape, type dispatch, depth bound, resume and the field-less
// messages. Join, SDP and candidate rules have their own files.
#include <onymous/protocol/parse.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

using namespace onymous::protocol;

namespace {

parse_error refused(std::string_view text) {
    const parse_result result = parse(text, parse_limits{});
    REQUIRE(std::holds_alternative<parse_error>(result));
    return std::get<parse_error>(result);
}

client_message accepted(std::string_view text) {
    const parse_result result = parse(text, parse_limits{});
    if (const auto* error = std::get_if<parse_error>(&result)) FAIL(error->message);
    return std::get<client_message>(result);
}

void check_error(std::string_view text, error_code code, std::string_view message,
                 std::string_view ref) {
    INFO(text);
    const parse_error error = refused(text);
    CHECK(error.code == code);
    CHECK(error.message == message);
    CHECK(error.ref == ref);
}

// {"type":"ping","x":[[...]]} nested `depth` levels in total.
std::string ping_nested(std::size_t depth) {
    std::string text = R"({"type":"ping","x":)";
    text += std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
    return text;
}

}  // namespace

TEST_CASE("text that is not JSON is bad_json with no ref", "[protocol]") {
    for (const char* text :
         {"", "{", "not json", R"({"type":"ping"} x)", R"({"type":"ping"}{})", R"({"type":'ping'})",
          "{\"type\":\"p\xC3\x28ng\"}", R"({"type":"ping","x":"\ud800"})"}) {
        check_error(text, error_code::bad_json, "message is not valid JSON", "");
    }
    // A NUL is not the end of the message: what follows it counts.
    for (const std::string_view text :
         {std::string_view("{\"type\":\"ping\"}\0", 16),
          std::string_view("{\"type\":\"ping\"}\0{oops", 21),
          std::string_view("{\"type\":\"p\0ing\"}", 16), std::string_view("\0", 1)}) {
        check_error(std::string(text), error_code::bad_json, "message is not valid JSON", "");
    }
}

TEST_CASE("JSON that is not an object is invalid_message", "[protocol]") {
    for (const char* text : {"[]", R"(["ping"])", R"("ping")", "42", "null", "true"}) {
        check_error(text, error_code::invalid_message, "message must be a JSON object", "");
    }
}

TEST_CASE("a missing or non-string type is invalid_message with no ref", "[protocol]") {
    check_error("{}", error_code::invalid_message, "message has no type", "");
    check_error(R"({"Type":"ping"})", error_code::invalid_message, "message has no type", "");
    for (const char* text : {R"({"type":5})", R"({"type":null})", R"({"type":["ping"]})",
                             R"({"type":{"name":"ping"}})", R"({"type":true})"}) {
        check_error(text, error_code::invalid_message, "type must be a string", "");
    }
}

TEST_CASE("types a client may not send are unknown_type", "[protocol]") {
    const std::string_view message = "type is not one a client may send";
    SECTION("short printable ASCII types are echoed in ref") {
        check_error(R"({"type":"hello"})", error_code::unknown_type, message, "hello");
        check_error(R"({"type":"Join"})", error_code::unknown_type, message, "Join");
        check_error(R"({"type":"pong"})", error_code::unknown_type, message, "pong");
        const std::string exactly_32(32, 'x');
        check_error(R"({"type":")" + exactly_32 + "\"}", error_code::unknown_type, message,
                    exactly_32);
        check_error(R"({"type":"a b~<"})", error_code::unknown_type, message, "a b~<");
        // The decoded type is what is echoed, escapes resolved.
        check_error(R"({"type":"h\u0065llo"})", error_code::unknown_type, message, "hello");
    }
    SECTION("anything else gets an empty ref") {
        check_error(R"({"type":""})", error_code::unknown_type, message, "");
        check_error(R"({"type":")" + std::string(33, 'x') + "\"}", error_code::unknown_type,
                    message, "");
        check_error(R"({"type":"p\u00efng"})", error_code::unknown_type, message, "");
        check_error(R"({"type":"a\nb"})", error_code::unknown_type, message, "");
        check_error(R"({"type":"a\u007fb"})", error_code::unknown_type, message, "");
    }
}

TEST_CASE("nesting is bounded at 32 levels before parsing", "[protocol]") {
    const std::string_view too_deep = "JSON nests deeper than 32 levels";
    CHECK(std::holds_alternative<ping_message>(accepted(ping_nested(32))));
    check_error(ping_nested(33), error_code::bad_json, too_deep, "");
    check_error(std::string(65536, '['), error_code::bad_json, too_deep, "");
    check_error(std::string(33, '{'), error_code::bad_json, too_deep, "");

    SECTION("brackets inside strings do not count") {
        const std::string in_string = R"({"type":"ping","x":")" + std::string(100, '[') + "\"}";
        CHECK(std::holds_alternative<ping_message>(accepted(in_string)));
        const std::string after_escaped_quote =
            R"({"type":"ping","x":"\")" + std::string(100, '{') + "\"}";
        CHECK(std::holds_alternative<ping_message>(accepted(after_escaped_quote)));
        const std::string after_escaped_backslash =
            R"({"type":"ping","x":"\\",)" + std::string(32, '[');
        check_error(after_escaped_backslash, error_code::bad_json, too_deep, "");
    }
}

TEST_CASE("next, leave and ping need no fields and ignore extra ones", "[protocol]") {
    CHECK(std::holds_alternative<next_message>(accepted(R"({"type":"next"})")));
    CHECK(std::holds_alternative<leave_message>(accepted(R"({"type":"leave"})")));
    CHECK(std::holds_alternative<ping_message>(accepted(R"({"type":"ping"})")));
    CHECK(std::holds_alternative<ping_message>(
        accepted(R"( {"seq":3,"type":"ping","extra":{"a":[1,2]}} )")));
}

TEST_CASE("a key given twice counts with its last value", "[protocol]") {
    CHECK(std::holds_alternative<ping_message>(accepted(R"({"type":"leave","type":"ping"})")));
}

TEST_CASE("resume needs a short token and a non-negative integer last_seq", "[protocol]") {
    SECTION("accepted") {
        const auto resume =
            std::get<resume_message>(accepted(R"({"type":"resume","token":"abc","last_seq":7})"));
        CHECK(resume.token == "abc");
        CHECK(resume.last_seq == 7);
        const std::string token_64(64, 't');
        const auto longest = std::get<resume_message>(accepted(
            R"({"type":"resume","token":")" + token_64 + R"(","last_seq":18446744073709551615})"));
        CHECK(longest.token == token_64);
        CHECK(longest.last_seq == 18446744073709551615ULL);
        CHECK(std::get<resume_message>(accepted(R"({"type":"resume","token":"","last_seq":0})"))
                  .last_seq == 0);
        CHECK(std::get<resume_message>(accepted(R"({"type":"resume","token":"a","last_seq":-0})"))
                  .last_seq == 0);
    }
    SECTION("token") {
        const std::string_view must_be_string = "token must be a string";
        check_error(R"({"type":"resume","last_seq":1})", error_code::invalid_message,
                    must_be_string, "resume");
        check_error(R"({"type":"resume","token":5,"last_seq":1})", error_code::invalid_message,
                    must_be_string, "resume");
        check_error(R"({"type":"resume","token":null,"last_seq":1})", error_code::invalid_message,
                    must_be_string, "resume");
        check_error(R"({"type":"resume","token":")" + std::string(65, 't') + R"(","last_seq":1})",
                    error_code::invalid_message, "token is longer than 64 bytes", "resume");
    }
    SECTION("last_seq") {
        for (const char* value : {"-1", "1.5", "1.0", "0.0", "-0.0", "1e2", "\"3\"", "null", "true",
                                  "18446744073709551616"}) {
            check_error(std::string(R"({"type":"resume","token":"a","last_seq":)") + value + "}",
                        error_code::invalid_message, "last_seq must be a non-negative integer",
                        "resume");
        }
        check_error(R"({"type":"resume","token":"a"})", error_code::invalid_message,
                    "last_seq must be a non-negative integer", "resume");
    }
}

TEST_CASE("type_name gives the wire type of each message", "[protocol]") {
    CHECK(type_name(join_message{}) == "join");
    CHECK(type_name(sdp_message{sdp_kind::offer, ""}) == "offer");
    CHECK(type_name(sdp_message{sdp_kind::answer, ""}) == "answer");
    CHECK(type_name(candidate_message{}) == "candidate");
    CHECK(type_name(next_message{}) == "next");
    CHECK(type_name(leave_message{}) == "leave");
    CHECK(type_name(ping_message{}) == "ping");
    CHECK(type_name(resume_message{}) == "resume");
    CHECK(type_name(ack_message{}) == "ack");
    CHECK(type_name(report_message{}) == "report");
}

TEST_CASE("enumerations have the contract's names and numbers", "[protocol]") {
    CHECK(to_string(error_code::bad_json) == "bad_json");
    CHECK(to_string(error_code::invalid_message) == "invalid_message");
    CHECK(to_string(error_code::unknown_type) == "unknown_type");
    CHECK(to_string(error_code::bad_state) == "bad_state");
    CHECK(to_string(error_code::invalid_sdp) == "invalid_sdp");
    CHECK(to_string(error_code::invalid_candidate) == "invalid_candidate");
    CHECK(to_string(error_code::rate_limited) == "rate_limited");
    CHECK(to_string(error_code::invalid_proof) == "invalid_proof");
    CHECK(to_string(error_code::suspended) == "suspended");
    CHECK(to_string(error_code::resume_failed) == "resume_failed");
    CHECK(to_string(error_code::draining) == "draining");
    CHECK(to_string(chat_mode::text) == "text");
    CHECK(to_string(chat_mode::video) == "video");
    CHECK(to_string(role::offerer) == "offerer");
    CHECK(to_string(role::answerer) == "answerer");
    CHECK(to_string(session_state::idle) == "idle");
    CHECK(to_string(session_state::waiting) == "waiting");
    CHECK(to_string(session_state::paired) == "paired");
    CHECK(static_cast<int>(close_code::normal) == 1000);
    CHECK(static_cast<int>(close_code::going_away) == 1001);
    CHECK(static_cast<int>(close_code::unsupported_data) == 1003);
    CHECK(static_cast<int>(close_code::invalid_payload) == 1007);
    CHECK(static_cast<int>(close_code::policy) == 1008);
    CHECK(static_cast<int>(close_code::too_big) == 1009);
    CHECK(static_cast<int>(close_code::internal_error) == 1011);
    CHECK(static_cast<int>(close_code::taken_over) == 4000);
    CHECK(subprotocol == "onymous.v1");
    CHECK(version == 1);
}
