// The grammar rows of the hostile-input tables (hostile_rows.hpp), moved from
// tests/e2e/hostile_input_test.cpp, through protocol::parse() alone, with the
// limits of that test's daemon. A refused row gets exactly its error: code,
// message text and ref. An accepted row parses to what the session acts on:
// a ping, a join with its normalised interests, or an offer, answer or
// candidate whose relayed text is exactly the row's.

#include "hostile_rows.hpp"

#include <onymous/protocol/parse.hpp>
#include <onymous/protocol/relay_text.hpp>

#include <catch2/catch.hpp>

#include <set>

using namespace onymous;
using namespace onymous::test::hostile;

namespace {

/// limits.max_sdp_bytes 4096 and matching.max_interests 4, as in the e2e table.
const protocol::parse_limits limits{4096, 4};

json as_error(const protocol::parse_error& error) {
    return err(std::string(protocol::to_string(error.code)), error.message, error.ref);
}

/// What the partner would get of an accepted message, without seq.
std::optional<json> relayed_of(const protocol::client_message& message) {
    if (const auto* sdp = std::get_if<protocol::sdp_message>(&message))
        return json::parse(protocol::relay_text(*sdp));
    if (const auto* candidate = std::get_if<protocol::candidate_message>(&message))
        return json::parse(protocol::relay_text(*candidate));
    return std::nullopt;
}

// CHECK, never REQUIRE: a failing row is reported with its name, and the
// next rows still run.
void check_accepted(const row& r, const protocol::client_message& message) {
    INFO("parsed as " << protocol::type_name(message));
    if (!r.relayed.empty()) {
        const auto relayed = relayed_of(message);
        CHECK(r.relayed.size() == 1);
        CHECK(relayed == std::optional<json>(r.relayed.front()));
        return;
    }
    CHECK(r.replies.size() == 1);
    const auto& reply = r.replies.front();
    if (reply == pong) {
        CHECK(std::holds_alternative<protocol::ping_message>(message));
    } else if (reply == waiting) {
        const auto* join = std::get_if<protocol::join_message>(&message);
        CHECK(join != nullptr);
        CHECK(r.interests.has_value());
        if (join != nullptr && r.interests) CHECK(join->interests == *r.interests);
    } else {
        FAIL_CHECK("a grammar row is refused, answered with pong or waiting, or relayed: "
                   << reply.dump());
    }
}

void check_row(const row& r) {
    INFO("row: " << r.name);
    CHECK(r.input.size() == 1);
    CHECK(r.close == 0);
    if (r.input.size() != 1 || r.replies.size() + r.relayed.size() != 1) {
        FAIL_CHECK("a grammar row has one input and one outcome");
        return;
    }
    const auto result = protocol::parse(r.input.front(), limits);
    const auto* error = std::get_if<protocol::parse_error>(&result);
    const bool refused = !r.replies.empty() && r.replies.front().at("type") == "error";
    if (refused) {
        CHECK(error != nullptr);
        if (error != nullptr) CHECK(as_error(*error) == r.replies.front());
    } else if (error != nullptr) {
        FAIL_CHECK("refused: " << as_error(*error).dump());
    } else {
        check_accepted(r, std::get<protocol::client_message>(result));
    }
}

void check_table(const std::vector<row>& rows) {
    for (const auto& r : rows) check_row(r);
}

}  // namespace

TEST_CASE("hostile JSON, nesting, shape and type: exact error or message", "[protocol][hostile]") {
    const auto rows = json_rows();
    CHECK(rows.size() >= 130);
    check_table(rows);
}

TEST_CASE("hostile join fields: exact error or interests", "[protocol][hostile]") {
    const auto rows = join_rows();
    CHECK(rows.size() >= 70);
    check_table(rows);
}

TEST_CASE("hostile offer and answer fields: exact error or relay", "[protocol][hostile]") {
    const auto rows = sdp_rows();
    CHECK(rows.size() >= 50);
    check_table(rows);
}

TEST_CASE("hostile candidate and resume fields: exact error or relay", "[protocol][hostile]") {
    const auto rows = candidate_resume_rows();
    CHECK(rows.size() >= 120);
    check_table(rows);
}

TEST_CASE("hostile rows have unique names", "[protocol][hostile]") {
    std::set<std::string> names;
    for (auto* table : {&grammar_rows, &session_rows, &flood_rows})
        for (const auto& r : table()) {
            INFO(r.name);
            CHECK(names.insert(r.name).second);
        }
}
