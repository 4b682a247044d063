// The wire side of the abuse controls (PROTOCOL.md, Abuse controls): report,
// the optional proof of join and next and its bounds, challenge in hello and
// waiting, reported, and the errors with retryAfterMs.
#include <onymous/protocol/parse.hpp>
#include <onymous/protocol/relay_text.hpp>
#include <onymous/protocol/serialize.hpp>
#include <onymous/protocol/waiting_text.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

using namespace onymous::protocol;

namespace {

parse_result parsed(const std::string& text) { return parse(text, parse_limits{}); }

client_message accepted(const std::string& text) {
    const parse_result result = parsed(text);
    if (const auto* error = std::get_if<parse_error>(&result)) FAIL(error->message);
    return std::get<client_message>(result);
}

void check_error(const std::string& text, std::string_view message, std::string_view ref) {
    INFO(text);
    const parse_result result = parsed(text);
    REQUIRE(std::holds_alternative<parse_error>(result));
    const auto& error = std::get<parse_error>(result);
    CHECK(error.code == error_code::invalid_message);
    CHECK(error.message == message);
    CHECK(error.ref == ref);
}

std::string with_proof(std::string_view type, const nlohmann::json& proof) {
    return nlohmann::json{{"type", type}, {"proof", proof}}.dump();
}

const onymous::abuse::challenge sample{std::string(44, 'A'), 18, 4, 120000};

}  // namespace

TEST_CASE("report has no fields and ignores extra ones", "[protocol][abuse]") {
    CHECK(std::holds_alternative<report_message>(accepted(R"({"type":"report"})")));
    CHECK(std::holds_alternative<report_message>(
        accepted(R"({"type":"report","reason":"spam","proof":5})")));
    CHECK(type_name(report_message{}) == "report");
}

TEST_CASE("join and next carry an optional proof", "[protocol][abuse]") {
    for (const std::string type : {"join", "next"}) {
        INFO(type);
        const auto get = [&](const std::string& text) {
            const client_message m = accepted(text);
            return type == "join" ? std::get<join_message>(m).proof
                                  : std::get<next_message>(m).proof;
        };
        CHECK(get(nlohmann::json{{"type", type}}.dump()).empty());
        CHECK(get(with_proof(type, nlohmann::json::array())).empty());
        CHECK(get(with_proof(type, {"a1", "b2", "c3"})) ==
              std::vector<std::string>{"a1", "b2", "c3"});
        // Content is the proof of work's to judge: empty, duplicate or
        // non-ASCII nonces parse, and are refused there as invalid_proof.
        CHECK(get(with_proof(type, {"", "x", "x", "\xc3\xa9"})).size() == 4);
        // At the bounds: 64 nonces of 64 bytes.
        const std::vector<std::string> full(64, std::string(64, 'n'));
        CHECK(get(with_proof(type, full)) == full);
    }
}

TEST_CASE("a proof out of bounds is invalid_message", "[protocol][abuse]") {
    for (const std::string type : {"join", "next"}) {
        check_error(with_proof(type, "abc"), "proof must be an array of strings", type);
        check_error(with_proof(type, 5), "proof must be an array of strings", type);
        check_error(with_proof(type, nullptr), "proof must be an array of strings", type);
        check_error(with_proof(type, nlohmann::json::object()), "proof must be an array of strings",
                    type);
        check_error(with_proof(type, std::vector<std::string>(65, "n")),
                    "proof has more than 64 entries", type);
        check_error(with_proof(type, {"ok", std::string(65, 'n')}),
                    "proof[1] is longer than 64 bytes", type);
        check_error(with_proof(type, {"ok", "ok", 7}), "proof[2] must be a string", type);
        check_error(with_proof(type, nlohmann::json::array({nlohmann::json::array()})),
                    "proof[0] must be a string", type);
    }
    // join's other fields are still checked.
    check_error(R"({"type":"join","mode":"audio","proof":["a"]})",
                R"(mode must be "text" or "video")", "join");
}

TEST_CASE("challenge, reported and the errors with retryAfterMs", "[protocol][abuse]") {
    const std::string prefix(44, 'A');
    const auto waiting = [](const std::optional<onymous::abuse::challenge>& c, std::uint64_t seq) {
        std::string text = waiting_text(c);
        const auto capacity = text.capacity();
        append_seq(text, seq);
        CHECK(text.capacity() == capacity);  // the room for the seq was reserved
        return text;
    };
    CHECK(waiting(sample, 3) == R"({"type":"waiting","challenge":{"prefix":")" + prefix +
                                    R"(","bits":18,"count":4,"expiresMs":120000},"seq":3})");
    CHECK(waiting(std::nullopt, 3) == R"({"type":"waiting","seq":3})");
    // Byte for byte the DOM it replaced, with challenge_json as hello has it,
    // also with every number at its widest.
    onymous::abuse::challenge widest = sample;
    widest.bits = widest.count = 4294967295u;
    widest.expires_ms = 18446744073709551615u;
    for (const auto& c : {sample, widest}) {
        json dom = {{"type", "waiting"}};
        dom["challenge"] = challenge_json(c);
        CHECK(waiting(c, 18446744073709551615u) == finish(dom, 18446744073709551615u));
    }
    const auto hello = finish(make_hello("t", {}, false, {}, 10, sample));
    CHECK(hello.find(R"("challenge":{"prefix":")" + prefix + R"(","bits":18,"count":4,)") !=
          std::string::npos);
    CHECK(finish(make_hello("t", {}, false, {}, 10, std::nullopt)) ==
          finish(make_hello("t", {}, false, {}, 10)));
    CHECK(finish(make_reported()) == R"({"type":"reported"})");
    CHECK(finish(make_error(error_code::suspended, "s", "join", std::chrono::milliseconds(1500))) ==
          R"({"type":"error","code":"suspended","message":"s","ref":"join","retryAfterMs":1500})");
    CHECK(
        finish(
            make_error(error_code::rate_limited, "r", "next", std::chrono::milliseconds(60000))) ==
        R"({"type":"error","code":"rate_limited","message":"r","ref":"next","retryAfterMs":60000})");
    CHECK(to_string(error_code::invalid_proof) == "invalid_proof");
    CHECK(to_string(error_code::suspended) == "suspended");
}
