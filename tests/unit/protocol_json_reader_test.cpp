// The JSON reader under parse(): what it accepts and refuses, and the values
// it gives. The fuzz target (tests/fuzz/protocol_fuzz.cpp) checks it against
// nlohmann on every input; these are the cases worth naming.
#include "../../server/protocol/json_reader.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace onymous::protocol::json_reader;

namespace {

bool reads(std::string_view text) {
    document doc;
    return doc.read(text);
}

}  // namespace

TEST_CASE("json_reader: objects, arrays and their members", "[json_reader]") {
    document doc;
    REQUIRE(doc.read(R"( {"type":"join","interests":["a","b",[]],"n":null,"t":true,"f":false} )"));
    const value& root = doc.root();
    REQUIRE(root.is_object());
    CHECK(root.size == 5);
    const value* type = doc.find(root, "type");
    REQUIRE(type != nullptr);
    CHECK(type->is_string());
    CHECK(type->text == "join");
    const value* interests = doc.find(root, "interests");
    REQUIRE(interests != nullptr);
    REQUIRE(interests->is_array());
    REQUIRE(interests->size == 3);
    CHECK(doc.element(*interests, 0).text == "a");
    CHECK(doc.element(*interests, 1).text == "b");
    CHECK(doc.element(*interests, 2).is_array());
    CHECK(doc.find(root, "n")->is_null());
    CHECK(doc.find(root, "t")->boolean);
    CHECK_FALSE(doc.find(root, "f")->boolean);
    CHECK(doc.find(root, "absent") == nullptr);
    CHECK(doc.find(root, "Type") == nullptr);
}

TEST_CASE("json_reader: with duplicate keys the last one counts", "[json_reader]") {
    document doc;
    REQUIRE(doc.read(R"({"type":"offer","type":"ping"})"));
    CHECK(doc.find(doc.root(), "type")->text == "ping");
}

TEST_CASE("json_reader: escapes are decoded, plain strings are views", "[json_reader]") {
    document doc;
    const std::string text =
        R"({"a":"x\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00\u0000y","b":"plain"})";
    REQUIRE(doc.read(text));
    CHECK(doc.find(doc.root(), "a")->text ==
          std::string_view("x\"\\/\b\f\n\r\tA\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\0y", 21));
    const std::string_view plain = doc.find(doc.root(), "b")->text;
    CHECK(plain == "plain");
    CHECK(plain.data() >= text.data());
    CHECK(plain.data() < text.data() + text.size());
    // An escaped key is found by its decoded name.
    REQUIRE(doc.read(R"({"t\u0079pe":"ping"})"));
    CHECK(doc.find(doc.root(), "type")->text == "ping");
}

TEST_CASE("json_reader: numbers are classified as nlohmann does", "[json_reader]") {
    document doc;
    REQUIRE(doc.read(
        R"([0,255,18446744073709551615,18446744073709551616,-0,-5,-9223372036854775808,-9223372036854775809,1.0,1e0,2E+3])"));
    const value& a = doc.root();
    const auto kind_of = [&](std::size_t i) { return doc.element(a, i).number; };
    CHECK(kind_of(0) == number_kind::unsigned_integer);
    CHECK(doc.element(a, 1).unsigned_value == 255);
    CHECK(doc.element(a, 2).unsigned_value == UINT64_MAX);
    CHECK(kind_of(3) == number_kind::floating);
    CHECK(kind_of(4) == number_kind::signed_integer);
    CHECK(doc.element(a, 4).signed_value == 0);
    CHECK(doc.element(a, 5).signed_value == -5);
    CHECK(doc.element(a, 6).signed_value == INT64_MIN);
    CHECK(kind_of(7) == number_kind::floating);
    CHECK(kind_of(8) == number_kind::floating);
    CHECK(kind_of(9) == number_kind::floating);
    CHECK(kind_of(10) == number_kind::floating);
    // Out of double's range is an error, as nlohmann's "number overflow".
    CHECK_FALSE(reads("1e400"));
    CHECK_FALSE(reads("-1e400"));
    CHECK(reads("1e-400"));
}

TEST_CASE("json_reader: a leading byte order mark is skipped", "[json_reader]") {
    CHECK(reads("\xEF\xBB\xBF{}"));
    CHECK_FALSE(reads("\xEF\xBB{}"));
    CHECK_FALSE(reads(" \xEF\xBB\xBF{}"));
}

TEST_CASE("json_reader: what is not JSON is refused", "[json_reader]") {
    for (const std::string_view text : {
             "",
             " ",
             "{",
             "}",
             "{\"a\"}",
             "{\"a\":}",
             "{\"a\":1,}",
             "[1,]",
             "[,1]",
             "{a:1}",
             "{'a':1}",
             "01",
             "-",
             "1.",
             ".5",
             "+1",
             "1e",
             "1e+",
             "tru",
             "nul",
             "True",
             "NaN",
             "{}{}",
             "{} x",
             "\"\\x\"",
             "\"\\u12\"",
             "\"\\u12g4\"",
             "\"\\ud800\"",
             "\"\\udc00\"",
             "\"\\ud800\\u0041\"",
             "\"a\nb\"",
             "\"a\tb\"",
             "\"\x80\"",
             "\"\xC0\xAF\"",
             "\"\xED\xA0\x80\"",
             "\"\xF4\x90\x80\x80\"",
             "\"\xE2\x82\"",
             "/*c*/{}",
             "{}\x0c",
         }) {
        INFO(std::string(text));
        CHECK_FALSE(reads(text));
    }
    CHECK_FALSE(reads(std::string_view("{}\0", 3)));
    CHECK_FALSE(reads(std::string_view("\"a\0\"", 4)));
    CHECK(reads(" \t\r\n[ 1 , \"\xE2\x82\xAC\" ] \n"));
    CHECK(reads("-0.5e-3"));
}
