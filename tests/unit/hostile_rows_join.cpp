// Hostile rows about the fields of join (hostile_rows.hpp): decided by
// protocol::parse(), whatever the session's state ("fields before state").

#include "hostile_rows.hpp"

#include <tuple>

namespace onymous::test::hostile {

namespace {

void add_join(std::vector<row>& rows) {
    // join: wrong types and bounds (invalid_message, ref join), whatever the state.
    using says::interest;
    const std::vector<std::tuple<const char*, start, json, std::string>> bad_joins = {
        {"mode 5", start::idle, {{"mode", 5}}, says::bad_mode},
        {"mode true", start::idle, {{"mode", true}}, says::bad_mode},
        {"mode null", start::idle, {{"mode", nullptr}}, says::bad_mode},
        {"mode []", start::idle, {{"mode", json::array()}}, says::bad_mode},
        {"mode {}", start::idle, {{"mode", json::object()}}, says::bad_mode},
        {"mode empty", start::idle, {{"mode", ""}}, says::bad_mode},
        {"mode audio", start::idle, {{"mode", "audio"}}, says::bad_mode},
        {"mode TEXT", start::idle, {{"mode", "TEXT"}}, says::bad_mode},
        {"mode Video", start::left, {{"mode", "Video"}}, says::bad_mode},
        {"mode with a space", start::idle, {{"mode", " text"}}, says::bad_mode},
        {"mode with a NUL", start::idle, {{"mode", std::string("text\0", 5)}}, says::bad_mode},
        {"mode of 16000 bytes",
         start::idle,
         {{"mode", "EVIL" + std::string(16000, 't')}},
         says::bad_mode},
        {"mode while waiting (fields before state)",
         start::waiting,
         {{"mode", "tex"}},
         says::bad_mode},
        {"mode while paired (fields before state)", start::paired, {{"mode", 0}}, says::bad_mode},
        {"interests a string", start::idle, {{"interests", "music"}}, says::interests_not_array},
        {"interests a number", start::idle, {{"interests", 5}}, says::interests_not_array},
        {"interests null", start::idle, {{"interests", nullptr}}, says::interests_not_array},
        {"interests an object",
         start::idle,
         {{"interests", {{"a", "music"}}}},
         says::interests_not_array},
        {"interests true", start::idle, {{"interests", true}}, says::interests_not_array},
        {"an interest a number", start::idle, {{"interests", {5}}}, interest(0, says::not_string)},
        {"an interest null",
         start::idle,
         {{"interests", {nullptr}}},
         interest(0, says::not_string)},
        {"an interest true", start::idle, {{"interests", {true}}}, interest(0, says::not_string)},
        {"an interest an array",
         start::idle,
         {{"interests", {json::array({"a"})}}},
         interest(0, says::not_string)},
        {"an interest an object",
         start::idle,
         {{"interests", {json::object()}}},
         interest(0, says::not_string)},
        {"the second interest a number",
         start::idle,
         {{"interests", {"ok", 5}}},
         interest(1, says::not_string)},
        {"5 interests (max 4)",
         start::idle,
         {{"interests", {"a", "b", "c", "d", "e"}}},
         says::too_many_interests},
        {"5 equal interests count as sent",
         start::idle,
         {{"interests", {"a", "a", "A", " a", "a "}}},
         says::too_many_interests},
        {"an empty interest", start::idle, {{"interests", {""}}}, interest(0, says::empty)},
        {"an interest of spaces", start::idle, {{"interests", {"   "}}}, interest(0, says::empty)},
        {"an interest of all ASCII white space",
         start::idle,
         {{"interests", {" \t\n\r\x0b\x0c "}}},
         interest(0, says::empty)},
        {"an interest of 33 bytes",
         start::idle,
         {{"interests", {std::string(33, 'x')}}},
         interest(0, says::too_long)},
        {"an interest of 33 bytes in 32 characters",
         start::idle,
         {{"interests", {"\xC3\xA9" + std::string(31, 'x')}}},
         interest(0, says::too_long)},
        {"an interest of 17 two-byte characters",
         start::idle,
         {{"interests", {repeat("\xC3\xA9", 17)}}},
         interest(0, says::too_long)},
        {"an interest of 16000 bytes",
         start::idle,
         {{"interests", {"EVIL" + std::string(16000, 'i')}}},
         interest(0, says::too_long)},
        {"an interest with U+0001",
         start::idle,
         {{"interests", {"a\x01z"}}},
         interest(0, says::control)},
        {"an interest that is U+0001",
         start::idle,
         {{"interests", {"\x01"}}},
         interest(0, says::control)},
        {"an interest with U+001F",
         start::idle,
         {{"interests", {"a\x1fz"}}},
         interest(0, says::control)},
        {"an interest with NUL",
         start::idle,
         {{"interests", {std::string("a\0z", 3)}}},
         interest(0, says::control)},
        {"an interest with DEL",
         start::idle,
         {{"interests", {"a\x7fz"}}},
         interest(0, says::control)},
        {"an interest with U+0080",
         start::idle,
         {{"interests", {"a\xC2\x80z"}}},
         interest(0, says::control)},
        {"an interest with U+0085",
         start::idle,
         {{"interests", {"a\xC2\x85z"}}},
         interest(0, says::control)},
        {"an interest with U+009F",
         start::idle,
         {{"interests", {"a\xC2\x9Fz"}}},
         interest(0, says::control)},
        {"an interest with an inner tab",
         start::idle,
         {{"interests", {"a\tz"}}},
         interest(0, says::control)},
        {"an interest with U+200B",
         start::idle,
         {{"interests", {"a\xE2\x80\x8Bz"}}},
         interest(0, says::zero_width)},
        {"an interest with U+200C",
         start::idle,
         {{"interests", {"a\xE2\x80\x8Cz"}}},
         interest(0, says::zero_width)},
        {"an interest with U+200D",
         start::idle,
         {{"interests", {"a\xE2\x80\x8Dz"}}},
         interest(0, says::zero_width)},
        {"an interest with U+2060",
         start::idle,
         {{"interests", {"a\xE2\x81\xA0z"}}},
         interest(0, says::zero_width)},
        {"an interest with U+FEFF",
         start::idle,
         {{"interests", {"a\xEF\xBB\xBFz"}}},
         interest(0, says::zero_width)},
        {"an interest with U+180E",
         start::idle,
         {{"interests", {"a\xE1\xA0\x8Ez"}}},
         interest(0, says::zero_width)},
        {"an interest with U+061C",
         start::idle,
         {{"interests", {"a\xD8\x9Cz"}}},
         interest(0, says::bidi)},
        {"an interest with U+200E",
         start::idle,
         {{"interests", {"a\xE2\x80\x8Ez"}}},
         interest(0, says::bidi)},
        {"an interest with U+200F",
         start::idle,
         {{"interests", {"a\xE2\x80\x8Fz"}}},
         interest(0, says::bidi)},
        {"an interest with U+202A",
         start::idle,
         {{"interests", {"a\xE2\x80\xAAz"}}},
         interest(0, says::bidi)},
        {"an interest with U+202B",
         start::idle,
         {{"interests", {"a\xE2\x80\xABz"}}},
         interest(0, says::bidi)},
        {"an interest with U+202C",
         start::idle,
         {{"interests", {"a\xE2\x80\xACz"}}},
         interest(0, says::bidi)},
        {"an interest with U+202D",
         start::idle,
         {{"interests", {"a\xE2\x80\xADz"}}},
         interest(0, says::bidi)},
        {"an interest with U+202E",
         start::idle,
         {{"interests", {"a\xE2\x80\xAEz"}}},
         interest(0, says::bidi)},
        {"an interest with U+2066",
         start::idle,
         {{"interests", {"a\xE2\x81\xA6z"}}},
         interest(0, says::bidi)},
        {"an interest with U+2067",
         start::idle,
         {{"interests", {"a\xE2\x81\xA7z"}}},
         interest(0, says::bidi)},
        {"an interest with U+2068",
         start::idle,
         {{"interests", {"a\xE2\x81\xA8z"}}},
         interest(0, says::bidi)},
        {"an interest with U+2069",
         start::idle,
         {{"interests", {"a\xE2\x81\xA9z"}}},
         interest(0, says::bidi)},
        {"the fourth interest refused",
         start::idle,
         {{"interests", {"music", "chess", "go", "\xE2\x80\x8B"}}},
         interest(3, says::zero_width)},
        {"a bad interest while waiting",
         start::waiting,
         {{"interests", {""}}},
         interest(0, says::empty)},
        {"a bad interest while paired",
         start::paired,
         {{"interests", {7}}},
         interest(0, says::not_string)},
        {"a bad interest in the trickle window",
         start::requeued,
         {{"interests", "x"}},
         says::interests_not_array},
    };
    for (const auto& [name, state, fields, message] : bad_joins)
        rows.push_back(refused(std::string("join: ") + name, state, join_text(fields),
                               err("invalid_message", message, "join")));
    rows.push_back(refused("join: interests as an escaped zero-width space", start::idle,
                           R"({"type":"join","interests":["a\u200bz"]})",
                           err("invalid_message", interest(0, says::zero_width), "join")));
    rows.push_back(refused("join: interests as an escaped bidi override", start::idle,
                           R"({"type":"join","interests":["\u202e"]})",
                           err("invalid_message", interest(0, says::bidi), "join")));
    rows.push_back(joined("join: a no-break space is neither trimmed nor refused", start::idle,
                          join_text({{"interests", {"\xC2\xA0"}}}), {"\xC2\xA0"}));
    rows.push_back(joined("join: vertical tab and form feed are trimmed", start::idle,
                          join_text({{"interests",
                                      {"\x0b"
                                       "chess\x0c"}}}),
                          {"chess"}));
    rows.push_back(joined(
        "join: 32 bytes after trimming 80 spaces", start::idle,
        join_text(
            {{"interests", {std::string(40, ' ') + std::string(32, 'y') + std::string(40, ' ')}}}),
        {std::string(32, 'y')}));
    rows.push_back(joined("join: 4 interests", start::left,
                          join_text({{"interests", {"a", "b", "c", "d"}}}), {"a", "b", "c", "d"}));
}

// "proof" on join and next: only its bounds are the parser's (invalid_message,
// whatever the state); with proof of work off a proof within them is ignored.
void add_proof(std::vector<row>& rows) {
    for (const std::string type : {"join", "next"}) {
        const auto text = [&](const json& proof) {
            json message = {{"type", type}, {"proof", proof}};
            if (type == "join") message["mode"] = "text";
            return message.dump();
        };
        const json not_array = err("invalid_message", says::proof_not_array, type);
        rows.push_back(refused(type + ": proof a string", start::idle, text("EVIL"), not_array));
        rows.push_back(refused(type + ": proof null while paired (fields before state)",
                               start::paired, text(nullptr), not_array));
        rows.push_back(
            refused(type + ": proof an object", start::waiting, text(json::object()), not_array));
        rows.push_back(refused(type + ": 65 nonces", start::left,
                               text(std::vector<std::string>(65, "n")),
                               err("invalid_message", says::too_many_nonces, type)));
        rows.push_back(
            refused(type + ": a nonce of 65 bytes", start::left, text({"ok", std::string(65, 'E')}),
                    err("invalid_message", says::nonce(1, "is longer than 64 bytes"), type)));
        rows.push_back(
            refused(type + ": a nonce of 16000 bytes", start::idle, text({std::string(16000, 'E')}),
                    err("invalid_message", says::nonce(0, "is longer than 64 bytes"), type)));
        rows.push_back(refused(type + ": a number as a nonce", start::left, text({"a", 7}),
                               err("invalid_message", says::nonce(1, "must be a string"), type)));
    }
    // Off, a proof within the bounds changes nothing.
    rows.push_back(joined("join: 64 nonces of 64 bytes, proof of work off", start::left,
                          json{{"type", "join"},
                               {"mode", "text"},
                               {"proof", std::vector<std::string>(64, std::string(64, 'n'))}}
                              .dump(),
                          {}));
}

}  // namespace

std::vector<row> join_rows() {
    std::vector<row> rows;
    add_join(rows);
    add_proof(rows);
    return rows;
}

}  // namespace onymous::test::hostile
