// RESP without a socket: hiredis's formatter and reader behind
// server/redis/resp.hpp, and the reconnection backoff (server/redis/backoff.hpp).

#include "../../server/redis/backoff.hpp"
#include "../../server/redis/resp.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using onymous::redis::append_command;
using onymous::redis::backoff;
using onymous::redis::reply;
using onymous::redis::reply_reader;
using kind = reply::kind;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

std::vector<reply> read_all(reply_reader& reader) {
    std::vector<reply> replies;
    while (auto next = reader.next()) replies.push_back(std::move(*next));
    return replies;
}

}  // namespace

TEST_CASE("commands are formatted binary safe", "[redis][resp]") {
    std::string out;
    append_command(out, {"SET", "k", "a\0b\r\n"s});
    CHECK(out == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0b\r\n\r\n"s);
    append_command(out, {"GET", ""});
    CHECK(out.ends_with("*2\r\n$3\r\nGET\r\n$0\r\n\r\n"));

    std::vector<std::string> many(40, "x");  // past the arguments kept on the stack
    many[39] = "last";
    std::string long_command;
    append_command(long_command, many);
    CHECK(long_command.starts_with("*40\r\n$1\r\nx\r\n"));
    CHECK(long_command.ends_with("$4\r\nlast\r\n"));
}

TEST_CASE("every kind of reply is read, in one piece or byte by byte", "[redis][resp]") {
    const std::string stream =
        "+OK\r\n"
        "-ERR wrong\r\n"
        ":-42\r\n"
        "$5\r\na\0b\r\n\r\n"s
        "$0\r\n\r\n"
        "$-1\r\n"
        "*-1\r\n"
        "*0\r\n"
        "*3\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n+inner\r\n";

    auto check = [](const std::vector<reply>& r) {
        REQUIRE(r.size() == 9);
        CHECK(r[0].type == kind::status);
        CHECK(r[0].text == "OK");
        CHECK(r[1].type == kind::error);
        CHECK(r[1].text == "ERR wrong");
        CHECK(r[1].is_error("ERR"));
        CHECK_FALSE(r[1].is_error("ER"));
        CHECK(r[2].type == kind::integer);
        CHECK(r[2].integer == -42);
        CHECK(r[3].type == kind::string);
        CHECK(r[3].text == "a\0b\r\n"s);
        CHECK(r[4].type == kind::string);
        CHECK(r[4].text.empty());
        CHECK(r[5].type == kind::nil);
        CHECK(r[6].type == kind::nil);
        CHECK(r[7].type == kind::array);
        CHECK(r[7].elements.empty());
        const reply& nested = r[8];
        REQUIRE(nested.type == kind::array);
        REQUIRE(nested.elements.size() == 3);
        CHECK(nested.elements[0].integer == 1);
        REQUIRE(nested.elements[1].elements.size() == 2);
        CHECK(nested.elements[1].elements[0].text == "x");
        CHECK(nested.elements[1].elements[1].type == kind::nil);
        CHECK(nested.elements[2].type == kind::status);
        CHECK(nested.elements[2].text == "inner");
    };

    SECTION("in one piece") {
        reply_reader reader;
        reader.feed(stream);
        check(read_all(reader));
        CHECK_FALSE(reader.failed());
    }
    SECTION("byte by byte") {
        reply_reader reader;
        std::vector<reply> replies;
        for (const char c : stream) {
            reader.feed(std::string_view(&c, 1));
            for (auto& r : read_all(reader)) replies.push_back(std::move(r));
        }
        check(replies);
        CHECK_FALSE(reader.failed());
    }
}

TEST_CASE("a stream that is not RESP fails the reader until reset", "[redis][resp]") {
    reply_reader reader;
    reader.feed("+OK\r\n!nonsense\r\n");
    CHECK(reader.next());  // what came before the damage
    CHECK_FALSE(reader.next());
    CHECK(reader.failed());
    CHECK_FALSE(reader.error().empty());
    reader.feed("+OK\r\n");
    CHECK_FALSE(reader.next());
    reader.reset();
    CHECK_FALSE(reader.failed());
    reader.feed("+OK\r\n");
    CHECK(reader.next());
}

TEST_CASE("arrays nested past hiredis's depth fail, partial replies are freed", "[redis][resp]") {
    reply_reader deep;
    std::string nested;
    for (int i = 0; i < 12; ++i) nested += "*1\r\n";
    deep.feed(nested + ":1\r\n");
    CHECK_FALSE(deep.next());
    CHECK(deep.failed());

    // A reader destroyed in the middle of a reply frees what it built (ASan checks).
    reply_reader partial;
    partial.feed("*3\r\n$3\r\nabc\r\n*2\r\n:1\r\n");
    CHECK_FALSE(partial.next());
    CHECK_FALSE(partial.failed());
}

TEST_CASE("backoff doubles to its maximum, jittered down to half, and resets", "[redis][backoff]") {
    backoff low(100ms, 1000ms);
    CHECK(low.next(0) == 50ms);   // half of 100
    CHECK(low.next(0) == 100ms);  // half of 200
    CHECK(low.next(0) == 200ms);  // half of 400
    CHECK(low.next(0) == 400ms);  // half of 800
    CHECK(low.next(0) == 500ms);  // half of 1000, the maximum
    CHECK(low.next(0) == 500ms);
    low.reset();
    CHECK(low.next(0) == 50ms);

    backoff high(100ms, 1000ms);
    CHECK(high.next(50) == 100ms);  // draws cover [step/2, step]
    CHECK(high.next(100) == 200ms);
    CHECK(high.next(0xFFFFFFFFu) <= 400ms);

    backoff degenerate(0ms, 0ms);  // never a busy loop
    CHECK(degenerate.next(0) >= 0ms);
    CHECK(degenerate.next(1) == 1ms);
}
