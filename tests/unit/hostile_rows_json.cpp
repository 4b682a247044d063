// Hostile rows about JSON, nesting, shape and type (hostile_rows.hpp):
// decided by protocol::parse() before it looks at any field, whatever the
// session's state.

#include "hostile_rows.hpp"

#include <tuple>

namespace onymous::test::hostile {

namespace {

void add_broken_json(std::vector<row>& rows) {
    // Broken JSON: bad_json without ref, in whatever state.
    const std::vector<std::tuple<const char*, start, std::string>> broken = {
        {"unterminated object", start::idle, "{oops"},
        {"empty message", start::fresh, ""},
        {"white space only", start::idle, " \t\r\n"},
        {"truncated object", start::waiting, R"({"type":"ping")"},
        {"an extra closing brace", start::paired, R"({"type":"ping"}})"},
        {"two JSON values", start::idle, R"({"type":"ping"} {"type":"ping"})"},
        {"trailing garbage", start::idle, R"({"type":"ping"}x)"},
        {"a trailing NUL byte", start::idle, ping_text + std::string(1, '\0')},
        {"a NUL byte and garbage after the object", start::idle,
         ping_text + std::string(1, '\0') + "{oops"},
        {"an offer, a NUL byte and garbage, while paired", start::paired,
         R"({"type":"offer","sdp":"v=0\r\n"})" + std::string(1, '\0') + "EVIL"},
        {"a join, a NUL byte and a second object", start::idle,
         join_text({}) + std::string(1, '\0') + R"({"type":"leave"})"},
        {"a trailing comma after the object", start::fresh, R"({"type":"ping"},)"},
        {"single-quoted strings", start::idle, "{'type':'ping'}"},
        {"an unquoted key", start::idle, R"({type:"ping"})"},
        {"a trailing comma in the object", start::waiting, R"({"type":"ping",})"},
        {"a leading comma", start::idle, R"({,"type":"ping"})"},
        {"a missing colon", start::idle, R"({"type" "ping"})"},
        {"a missing value", start::idle, R"({"type":})"},
        {"a missing key", start::idle, R"({:"ping"})"},
        {"a block comment", start::idle, R"({"type":"ping"/* EVIL */})"},
        {"a line comment", start::idle, R"({"type":"ping"} // EVIL)"},
        {"a hash comment line", start::idle, "# EVIL\n" + ping_text},
        {"a raw control character in a string", start::idle, "{\"type\":\"pi\x01ng\"}"},
        {"a raw tab in a string", start::idle, ping_with("\"a\tb\"")},
        {"a raw line feed in a string", start::paired, ping_with("\"a\nb\"")},
        {"the escape \\a", start::idle, ping_with(R"("\a")")},
        {"the escape \\x41", start::idle, ping_with(R"("\x41")")},
        {"a short \\u escape", start::idle, ping_with(R"("\u12")")},
        {"a non-hex \\u escape", start::idle, ping_with(R"("\u00G1")")},
        {"a lone high surrogate escape", start::idle, ping_with(R"("\ud800")")},
        {"a lone low surrogate escape", start::idle, ping_with(R"("\udfff")")},
        {"a reversed surrogate pair", start::idle, ping_with(R"("\udc00\ud800")")},
        {"a high surrogate before a letter", start::waiting, ping_with(R"("\ud800\u0041")")},
        {"a lone surrogate as the type", start::idle, R"({"type":"\ud800"})"},
        {"a lone surrogate in a key", start::idle, R"({"\udbff":1,"type":"ping"})"},
        {"a lone surrogate in an interest", start::idle,
         R"({"type":"join","interests":["\ud800"]})"},
        {"a lone surrogate in an SDP", start::paired,
         R"({"type":"offer","sdp":"v=0\r\ns=\ud800\r\n"})"},
        {"NaN", start::idle, ping_with("NaN")},
        {"Infinity", start::idle, ping_with("Infinity")},
        {"-Infinity", start::idle, ping_with("-Infinity")},
        {"a leading zero", start::idle, ping_with("01")},
        {"a leading plus", start::idle, ping_with("+1")},
        {"a bare fraction", start::idle, ping_with(".5")},
        {"a trailing dot", start::idle, ping_with("1.")},
        {"an empty exponent", start::idle, ping_with("1e")},
        {"a hexadecimal number", start::idle, ping_with("0x10")},
        {"a lone minus", start::idle, ping_with("-")},
        {"a truncated true", start::idle, ping_with("tru")},
        {"True", start::idle, ping_with("True")},
        {"NULL", start::idle, ping_with("NULL")},
        {"undefined", start::idle, ping_with("undefined")},
        {"a non-string key", start::idle, R"({1:"ping"})"},
        {"an unterminated string", start::idle, R"({"type":"ping)"},
        {"a backslash at the end", start::idle, R"({"type":"ping\)"},
        {"an unclosed array", start::idle, ping_with("[1,2")},
        {"mismatched brackets", start::idle, ping_with("[1}")},
        {"an object as a key", start::idle, R"({{}:1})"},
        {"a bad escape in an offer while paired", start::paired,
         R"({"type":"offer","sdp":"v=0\r\n\q"})"},
        {"a truncated offer while paired", start::video, R"({"type":"offer","sdp":"v=0\r\n")"},
        {"a truncated candidate in the trickle window", start::ended,
         R"({"type":"candidate","candidate":{"candidate":")"},
        {"a truncated join while waiting", start::waiting, R"({"type":"join","mode":)"},
    };
    for (const auto& [name, state, text] : broken)
        rows.push_back(refused(std::string("bad_json: ") + name, state, text,
                               err("bad_json", says::not_json)));

    // Boundaries of JSON that must be accepted.
    rows.push_back(answered("JSON: white space around the object", start::idle,
                            " \r\n\t" + ping_text + "\r\n\t ", pong));
    rows.push_back(answered("JSON: an escaped type", start::idle, R"({"type":"\u0070ing"})", pong));
    rows.push_back(answered("JSON: a raw DEL in a string", start::idle,
                            ping_with("\"a\x7f"
                                      "b\""),
                            pong));
    rows.push_back(
        answered("JSON: a surrogate pair", start::idle, ping_with(R"("\ud83d\ude00")"), pong));
    rows.push_back(answered("JSON: an escaped NUL in an ignored field", start::idle,
                            ping_with(R"("\u0000")"), pong));
    rows.push_back(answered("JSON: the noncharacter U+FFFF", start::idle,
                            ping_with("\"\xEF\xBF\xBF\""), pong));
    rows.push_back(
        answered("JSON: U+10FFFF", start::idle, ping_with("\"\xF4\x8F\xBF\xBF\""), pong));
    rows.push_back(answered("JSON: a duplicate type, the last counts", start::idle,
                            R"({"type":"fly","type":"ping"})", pong));
    rows.push_back(answered("JSON: a __proto__ field", start::idle,
                            R"({"type":"ping","__proto__":{"type":"join"}})", pong));
    rows.push_back(answered("JSON: a seq from the client is ignored", start::idle,
                            R"({"type":"ping","seq":1})", pong));
}

void add_nesting(std::vector<row>& rows) {
    // Deep nesting: deeper than 32 levels is bad_json, before anything else.
    const json too_deep = err("bad_json", says::too_deep);
    rows.push_back(answered("nesting: 32 levels (the object and 31 arrays)", start::idle,
                            ping_with(nested_arrays(31)), pong));
    rows.push_back(refused("nesting: 33 levels (the object and 32 arrays)", start::idle,
                           ping_with(nested_arrays(32)), too_deep));
    rows.push_back(answered("nesting: 32 levels of objects", start::idle,
                            ping_with(nested_objects(31)), pong));
    rows.push_back(refused("nesting: 33 levels of objects", start::idle,
                           ping_with(nested_objects(32)), too_deep));
    rows.push_back(refused("nesting: 32 levels of bare arrays are JSON, not an object", start::idle,
                           nested_arrays(32), err("invalid_message", says::not_object)));
    rows.push_back(
        refused("nesting: 33 levels of bare arrays", start::idle, nested_arrays(33), too_deep));
    rows.push_back(refused("nesting: 40 levels of arrays and objects", start::idle,
                           ping_with(repeat(R"([{"a":)", 20) + "1" + repeat("}]", 20)), too_deep));
    rows.push_back(
        refused("nesting: 8000 unclosed brackets", start::idle, std::string(8000, '['), too_deep));
    rows.push_back(
        refused("nesting: 8000 closed brackets", start::waiting, nested_arrays(8000), too_deep));
    rows.push_back(refused("nesting: deep interests are bad_json before the field check",
                           start::idle, R"({"type":"join","interests":)" + nested_arrays(40) + "}",
                           too_deep));
    rows.push_back(refused("nesting: a deep field in an offer relays nothing", start::paired,
                           R"({"type":"offer","sdp":"v=0\r\n","x":)" + nested_arrays(100) + "}",
                           too_deep));
    rows.push_back(
        refused("nesting: deep and broken", start::idle, std::string(40, '[') + "x", too_deep));
    rows.push_back(answered("nesting: brackets inside a string do not count", start::idle,
                            ping_with("\"" + std::string(100, '[') + std::string(100, '{') + "\""),
                            pong));
}

void add_shape_and_type(std::vector<row>& rows) {
    // Valid JSON that is not an object, or has no usable type: no ref.
    const std::vector<std::tuple<const char*, start, std::string, const std::string*>> shapeless = {
        {"an empty array", start::idle, "[]", &says::not_object},
        {"an array holding a ping", start::fresh, R"([{"type":"ping"}])", &says::not_object},
        {"zero", start::idle, "0", &says::not_object},
        {"a float", start::idle, "-1.5e3", &says::not_object},
        {"a string", start::idle, R"("ping")", &says::not_object},
        {"null", start::waiting, "null", &says::not_object},
        {"true", start::idle, "true", &says::not_object},
        {"false", start::idle, "false", &says::not_object},
        {"an empty string", start::idle, R"("")", &says::not_object},
        {"an empty object", start::idle, "{}", &says::no_type},
        {"Type capitalised", start::idle, R"({"Type":"ping"})", &says::no_type},
        {"a key with a space", start::idle, R"({"type ":"ping"})", &says::no_type},
        {"the type nested one level down", start::paired, R"({"data":{"type":"ping"}})",
         &says::no_type},
        {"a numeric type", start::idle, R"({"type":1})", &says::type_not_string},
        {"a float type", start::idle, R"({"type":1.5})", &says::type_not_string},
        {"a boolean type", start::idle, R"({"type":true})", &says::type_not_string},
        {"a null type", start::waiting, R"({"type":null})", &says::type_not_string},
        {"an empty-array type", start::idle, R"({"type":[]})", &says::type_not_string},
        {"an array type", start::idle, R"({"type":["ping"]})", &says::type_not_string},
        {"an object type", start::video, R"({"type":{"type":"ping"}})", &says::type_not_string},
        {"a duplicate type, the last not a string", start::idle, R"({"type":"ping","type":5})",
         &says::type_not_string},
    };
    for (const auto& [name, state, text, message] : shapeless)
        rows.push_back(refused(std::string("invalid_message: ") + name, state, text,
                               err("invalid_message", *message)));

    // Types a client may not send: ref only for at most 32 bytes of printable ASCII.
    auto unknown = [](const std::string& ref = {}) {
        return err("unknown_type", says::unknown_type, ref);
    };
    for (const std::string type :
         {"hello", "waiting", "matched", "pong", "error", "left", "partner_left", "resumed",
          "draining", "Join", "PING", "OFFER", " ping", "ping ", "EVIL<script>", "~"})
        rows.push_back(refused("unknown_type: " + type, start::idle, json{{"type", type}}.dump(),
                               unknown(type)));
    rows.push_back(refused("unknown_type: 32 bytes keep their ref", start::idle,
                           json{{"type", std::string(32, 'x')}}.dump(),
                           unknown(std::string(32, 'x'))));
    rows.push_back(refused("unknown_type: 33 bytes lose their ref", start::idle,
                           json{{"type", std::string(33, 'x')}}.dump(), unknown()));
    rows.push_back(refused("unknown_type: 16000 bytes", start::idle,
                           json{{"type", "EVIL" + std::string(16000, 'x')}}.dump(), unknown()));
    rows.push_back(
        refused("unknown_type: a NUL inside", start::idle, R"({"type":"p\u0000ing"})", unknown()));
    rows.push_back(
        refused("unknown_type: a line feed", start::idle, R"({"type":"ping\n"})", unknown()));
    rows.push_back(refused("unknown_type: a tab", start::idle, R"({"type":"ping\t"})", unknown()));
    rows.push_back(
        refused("unknown_type: DEL", start::idle, R"({"type":"ping\u007f"})", unknown()));
    rows.push_back(refused("unknown_type: non-ASCII", start::idle,
                           json{{"type", "j\xC3\xB6in"}}.dump(), unknown()));
    rows.push_back(refused("unknown_type: a no-break space", start::idle,
                           R"({"type":"\u00a0ping"})", unknown()));
    rows.push_back(refused("unknown_type: checked before the fields", start::idle,
                           R"({"type":"fly","sdp":5,"candidate":[]})", unknown("fly")));
    rows.push_back(refused("unknown_type: the first of two types when the last is unknown",
                           start::idle, R"({"type":"ping","type":"fly"})", unknown("fly")));
    rows.push_back(refused("unknown_type: while paired", start::paired,
                           R"({"type":"relay","sdp":"v=0"})", unknown("relay")));
    rows.push_back(refused("unknown_type: while waiting", start::waiting, R"({"type":"matched"})",
                           unknown("matched")));
}

void add_large(std::vector<row>& rows) {
    // Large but within max_message_bytes: what the parser reads past (the
    // bound itself, 1009, is the transport's: tests/e2e/hostile_input_test.cpp).
    rows.push_back(answered("size: a 16000-byte key", start::idle,
                            R"({"type":"ping",")" + std::string(16000, 'k') + R"(":1})", pong));
    std::string many = R"({"type":"ping")";
    for (int i = 0; i < 1000; ++i) many += ",\"k" + std::to_string(i) + "\":" + std::to_string(i);
    rows.push_back(answered("size: 1000 ignored keys", start::idle, many + "}", pong));
    std::string numbers = "[0";
    for (int i = 1; i < 3000; ++i) numbers += "," + std::to_string(i % 10);
    rows.push_back(answered("size: an ignored array of 3000 numbers", start::idle,
                            ping_with(numbers + "]"), pong));
}

}  // namespace

std::vector<row> json_rows() {
    std::vector<row> rows;
    add_broken_json(rows);
    add_nesting(rows);
    add_shape_and_type(rows);
    add_large(rows);
    return rows;
}

std::vector<row> grammar_rows() {
    auto rows = json_rows();
    for (auto* table : {&join_rows, &sdp_rows, &candidate_resume_rows})
        for (auto& r : table()) rows.push_back(std::move(r));
    return rows;
}

}  // namespace onymous::test::hostile
