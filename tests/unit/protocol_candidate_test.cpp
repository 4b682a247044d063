// candidate: end-of-candidates forms, the candidate string, sdpMid,
// sdpMLineIndex and usernameFragment bounds.
#include <onymous/protocol/parse.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

using namespace onymous::protocol;
using nlohmann::json;

namespace {

const std::string srflx =
    "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 "
    "generation 0 ufrag sXP5 network-cost 999";

parse_result parse_candidate(const json& candidate) {
    return parse(json{{"type", "candidate"}, {"candidate", candidate}}.dump(), parse_limits{});
}

candidate_message accepted(const json& candidate) {
    const parse_result result = parse_candidate(candidate);
    if (const auto* error = std::get_if<parse_error>(&result)) FAIL(error->message);
    return std::get<candidate_message>(std::get<client_message>(result));
}

void check_refused(const json& candidate, error_code code, std::string_view message) {
    INFO(candidate.dump());
    const parse_result result = parse_candidate(candidate);
    REQUIRE(std::holds_alternative<parse_error>(result));
    const auto& error = std::get<parse_error>(result);
    CHECK(error.code == code);
    CHECK(error.message == message);
    CHECK(error.ref == "candidate");
}

void check_invalid(const json& candidate, std::string_view message) {
    check_refused(candidate, error_code::invalid_candidate, message);
}

// A candidate string of exactly `size` bytes.
std::string candidate_of_size(std::size_t size) {
    std::string text = srflx;
    text.resize(size, 'x');
    return text;
}

}  // namespace

TEST_CASE("Chrome's null is end of candidates", "[protocol]") {
    const candidate_message message = accepted(nullptr);
    CHECK_FALSE(message.candidate.has_value());
    CHECK(message.is_end_of_candidates());
}

TEST_CASE("Firefox's empty candidate string is end of candidates, fields kept", "[protocol]") {
    const candidate_message message = accepted({{"candidate", ""},
                                                {"sdpMid", "0"},
                                                {"sdpMLineIndex", 0},
                                                {"usernameFragment", "9b4424d9"}});
    REQUIRE(message.candidate.has_value());
    CHECK(message.is_end_of_candidates());
    CHECK(message.candidate->sdp_mid == std::optional<std::string>("0"));
    CHECK(message.candidate->sdp_mline_index == std::optional<int>(0));
    CHECK(message.candidate->username_fragment == std::optional<std::string>("9b4424d9"));

    // Without sdpMid or sdpMLineIndex too; but the fields are still type-checked.
    CHECK(accepted({{"candidate", ""}}).is_end_of_candidates());
    check_invalid({{"candidate", ""}, {"sdpMid", 5}},
                  "candidate.sdpMid must be null or 1 to 64 token characters");
}

TEST_CASE("a browser candidate is accepted with its fields", "[protocol]") {
    const candidate_message message = accepted({{"candidate", srflx},
                                                {"sdpMid", "0"},
                                                {"sdpMLineIndex", 0},
                                                {"usernameFragment", "sXP5"}});
    REQUIRE(message.candidate.has_value());
    CHECK_FALSE(message.is_end_of_candidates());
    CHECK(message.candidate->candidate == srflx);
    CHECK(message.candidate->sdp_mid == std::optional<std::string>("0"));
    CHECK(message.candidate->sdp_mline_index == std::optional<int>(0));
    CHECK(message.candidate->username_fragment == std::optional<std::string>("sXP5"));

    const candidate_message mid_only = accepted({{"candidate", srflx},
                                                 {"sdpMid", "audio"},
                                                 {"sdpMLineIndex", nullptr},
                                                 {"usernameFragment", nullptr}});
    CHECK(mid_only.candidate->sdp_mid == std::optional<std::string>("audio"));
    CHECK_FALSE(mid_only.candidate->sdp_mline_index.has_value());
    CHECK_FALSE(mid_only.candidate->username_fragment.has_value());

    const candidate_message index_only = accepted({{"candidate", srflx}, {"sdpMLineIndex", 3}});
    CHECK_FALSE(index_only.candidate->sdp_mid.has_value());
    CHECK(index_only.candidate->sdp_mline_index == std::optional<int>(3));
}

TEST_CASE("the top-level candidate field must be an object or null", "[protocol]") {
    const std::string_view message = "candidate must be an object or null";
    for (const char* text :
         {R"({"type":"candidate"})", R"({"type":"candidate","candidate":5})",
          R"({"type":"candidate","candidate":"candidate:1 1 udp 1 h"})",
          R"({"type":"candidate","candidate":[]})", R"({"type":"candidate","candidate":false})"}) {
        INFO(text);
        const auto result = parse(text, parse_limits{});
        REQUIRE(std::holds_alternative<parse_error>(result));
        CHECK(std::get<parse_error>(result).code == error_code::invalid_message);
        CHECK(std::get<parse_error>(result).message == message);
        CHECK(std::get<parse_error>(result).ref == "candidate");
    }
}

TEST_CASE("the candidate string", "[protocol]") {
    const std::string_view must_be_string = "candidate.candidate must be a string";
    check_invalid({{"sdpMid", "0"}}, must_be_string);
    check_invalid({{"candidate", nullptr}, {"sdpMid", "0"}}, must_be_string);
    check_invalid({{"candidate", 5}, {"sdpMid", "0"}}, must_be_string);
    check_invalid(json::object(), must_be_string);

    SECTION("at most 1024 bytes") {
        CHECK(accepted({{"candidate", candidate_of_size(1024)}, {"sdpMid", "0"}})
                  .candidate->candidate.size() == 1024);
        check_invalid({{"candidate", candidate_of_size(1025)}, {"sdpMid", "0"}},
                      "candidate.candidate is longer than 1024 bytes");
    }
    SECTION("starts with candidate:") {
        for (const char* text :
             {"Candidate:1 1 udp 1 h 1 typ host", "candidate 1 1 udp",
              "a=candidate:1 1 udp 1 h 1 typ host", " candidate:1", "candidate"}) {
            check_invalid({{"candidate", text}, {"sdpMid", "0"}},
                          "candidate.candidate must start with candidate:");
        }
        CHECK(accepted({{"candidate", "candidate:"}, {"sdpMid", "0"}}).candidate->candidate ==
              "candidate:");
    }
    SECTION("no control characters") {
        for (const std::string& text : {srflx + "\t", srflx + "\r\n", srflx + std::string(1, '\0'),
                                        srflx + "\x7F", srflx + "\u0085"}) {
            check_invalid({{"candidate", text}, {"sdpMid", "0"}},
                          "candidate.candidate contains a control character");
        }
    }
}

TEST_CASE("sdpMid is null or 1 to 64 RFC 4566 token characters", "[protocol]") {
    const std::string_view message = "candidate.sdpMid must be null or 1 to 64 token characters";
    CHECK(accepted({{"candidate", srflx}, {"sdpMid", std::string(64, 'm')}})
              .candidate->sdp_mid->size() == 64);
    check_invalid({{"candidate", srflx}, {"sdpMid", std::string(65, 'm')}}, message);
    check_invalid({{"candidate", srflx}, {"sdpMid", 0}}, message);
    check_invalid({{"candidate", srflx}, {"sdpMid", json::array({"0"})}}, message);
    check_invalid({{"candidate", srflx}, {"sdpMid", ""}}, message);
    for (const std::string bad : {"a b", "a\"b", "a,b", "a/b", "a:b", "\u00e9"}) {
        INFO(bad);
        check_invalid({{"candidate", srflx}, {"sdpMid", bad}}, message);
    }
    CHECK(
        accepted({{"candidate", srflx}, {"sdpMid", "aZ09!#$%&'*+-.^_`{|}~"}}).candidate->sdp_mid ==
        std::optional<std::string>("aZ09!#$%&'*+-.^_`{|}~"));
}

TEST_CASE("sdpMLineIndex is null or an integer from 0 to 255", "[protocol]") {
    const std::string_view message =
        "candidate.sdpMLineIndex must be null or an integer from 0 to 255";
    CHECK(accepted({{"candidate", srflx}, {"sdpMLineIndex", 255}}).candidate->sdp_mline_index ==
          std::optional<int>(255));
    CHECK(accepted({{"candidate", srflx}, {"sdpMLineIndex", 0}}).candidate->sdp_mline_index ==
          std::optional<int>(0));
    check_invalid({{"candidate", srflx}, {"sdpMLineIndex", 256}}, message);
    check_invalid({{"candidate", srflx}, {"sdpMLineIndex", -1}}, message);
    check_invalid({{"candidate", srflx}, {"sdpMLineIndex", 1.0}}, message);
    check_invalid({{"candidate", srflx}, {"sdpMLineIndex", "0"}}, message);
    check_invalid({{"candidate", srflx}, {"sdpMLineIndex", true}}, message);
    check_invalid({{"candidate", srflx}, {"sdpMLineIndex", 18446744073709551615ULL}}, message);

    // JSON written by hand: -0 is the integer 0, 0.0 and 1e0 are not integers.
    const auto minus_zero = parse(R"({"type":"candidate","candidate":{"candidate":"candidate:1",)"
                                  R"("sdpMLineIndex":-0}})",
                                  parse_limits{});
    REQUIRE(std::holds_alternative<client_message>(minus_zero));
    for (const char* number : {"0.0", "1e0", "-1", "-0.0"}) {
        const auto result =
            parse(std::string(R"({"type":"candidate","candidate":{"candidate":"candidate:1",)") +
                      R"("sdpMLineIndex":)" + number + "}}",
                  parse_limits{});
        REQUIRE(std::holds_alternative<parse_error>(result));
        CHECK(std::get<parse_error>(result).message == message);
    }
}

TEST_CASE("sdpMid or sdpMLineIndex must be given", "[protocol]") {
    const std::string_view message = "candidate needs sdpMid or sdpMLineIndex";
    check_invalid({{"candidate", srflx}}, message);
    check_invalid({{"candidate", srflx}, {"sdpMid", nullptr}, {"sdpMLineIndex", nullptr}}, message);
    check_invalid({{"candidate", srflx}, {"usernameFragment", "sXP5"}}, message);
}

TEST_CASE("usernameFragment is optional, 1 to 256 ICE characters", "[protocol]") {
    const std::string_view message =
        "candidate.usernameFragment must be null or 1 to 256 ICE characters";
    const std::string ufrag_256(256, 'u');
    CHECK(accepted({{"candidate", srflx}, {"sdpMid", "0"}, {"usernameFragment", ufrag_256}})
              .candidate->username_fragment == std::optional<std::string>(ufrag_256));
    check_invalid({{"candidate", srflx}, {"sdpMid", "0"}, {"usernameFragment", ufrag_256 + "u"}},
                  message);
    check_invalid({{"candidate", srflx}, {"sdpMid", "0"}, {"usernameFragment", 7}}, message);
    for (const std::string bad : {"", "a-b", "a b", "a=b", "\u00e9"}) {
        INFO(bad);
        check_invalid({{"candidate", srflx}, {"sdpMid", "0"}, {"usernameFragment", bad}}, message);
    }
    CHECK(accepted({{"candidate", srflx}, {"sdpMid", "0"}, {"usernameFragment", "aZ09+/"}})
              .candidate->username_fragment == std::optional<std::string>("aZ09+/"));
}

TEST_CASE("candidate checks run in a fixed order", "[protocol]") {
    // The string's own problems come before the other fields', and those
    // before the sdpMid-or-sdpMLineIndex rule.
    check_invalid({{"candidate", "x"}, {"sdpMid", 5}},
                  "candidate.candidate must start with candidate:");
    check_invalid({{"candidate", srflx}, {"sdpMLineIndex", -1}, {"usernameFragment", 7}},
                  "candidate.sdpMLineIndex must be null or an integer from 0 to 255");
    check_invalid({{"candidate", srflx}, {"usernameFragment", 7}},
                  "candidate.usernameFragment must be null or 1 to 256 ICE characters");
}
