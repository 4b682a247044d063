// Hostile input against the real daemon, table-driven (PROTOCOL.md: Transport,
// Close codes, States, Error codes and the order of checks, Client → server;
// the precise rules of docs/protocol.md, Validation rules and Rate limits).
//
// Every row names its input (one or more text messages, or raw WebSocket
// frame bytes), the state its client is put in first, and the exact outcome:
// the error code and ref, the close code, or the exact message that follows.
// Each row has fresh connections of its own, so that its errors are counted
// against its own budget; the rows about the budget send several inputs on
// one connection on purpose. After a row that leaves the connection open,
// the client must answer a ping first (nothing else came), and a paired
// partner's next message must be a marker offer (nothing of the row reached
// it).
//
// During each table a control pair, paired before the first row, relays one
// message each way around every row and must receive every one of them, in
// order, with the next seq, and nothing else.
//
// Frames that ws_client cannot produce (unmasked, reserved opcodes and RSV
// bits, fragmented control frames, lone continuations, declared lengths)
// go through raw_ws below: OpenSSL over a plain socket, frames written byte
// by byte. The contract lists no close code for a WebSocket protocol error;
// these rows expect RFC 6455's 1002 (its code for "protocol error"). Like a
// browser, raw_ws answers a close frame with its own and then waits for the
// server to end the TCP connection (RFC 6455, 7.1.1): the session has ended
// all the same, so a paired partner gets partner_left at once and a waiting
// session is never matched again.

#include "helpers.hpp"
#include "lifecycle.hpp"
#include "tls_material.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

using namespace onymous::test;

namespace {

using steady = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// The states a row's client is put in first.

enum class start {
    fresh,      ///< connected, nothing sent yet (resume still allowed)
    idle,       ///< a ping answered: idle, never joined
    left,       ///< joined (text) and left: idle, never paired
    waiting,    ///< joined (text), waiting
    paired,     ///< paired in text mode
    video,      ///< paired in video mode
    ended,      ///< idle: its (text) partner left just now, the trickle window is open
    requeued,   ///< waiting again after its own next, just now
    self_left,  ///< idle after its own leave while paired, just now
};

bool is_paired(start state) { return state == start::paired || state == start::video; }

const json pong = {{"type", "pong"}};
const json partner_left = {{"type", "partner_left"}};
const std::string ping_text = R"({"type":"ping"})";

/// The close deadline of the tables: a session the server closes ends at
/// once, so its partner hears of it well before this deadline could abort
/// the connection (in a timing build; allowance() widens `at_once` elsewhere).
const config_override close_deadline{"limits.close_timeout", "3s"};
duration at_once() { return allowance(1s); }

/// An expected error: `ref` empty means no ref at all.
json err(const std::string& code, const std::string& ref = {}) {
    json error = {{"type", "error"}, {"code", code}};
    if (!ref.empty()) error["ref"] = ref;
    return error;
}

/// Requires `expected`: an error (code and ref, a message that does not
/// echo the input's EVIL marker) or exactly that message (plus its seq).
void expect_reply(ws_client& client, const json& expected, duration wait) {
    if (expected.at("type") == "error") {
        const auto error = expect_error(client, expected["code"].get<std::string>(),
                                        expected.value("ref", ""), wait);
        INFO("error message: " << error.dump());
        REQUIRE(error["message"].get<std::string>().find("EVIL") == std::string::npos);
    } else {
        expect_message(client, expected, wait);
    }
}

// ---------------------------------------------------------------------------
// The control pair.

class control_pair {
public:
    /// Pairs two clients in video mode; each relays at most `offers` offers and
    /// answers and `candidates` candidates (the caps), then end-of-candidates.
    control_pair(const daemon_process& daemon, int offers, int candidates)
        : c_(open_client(daemon)),
          d_(open_client(daemon)),
          offers_{offers, offers},
          candidates_{candidates, candidates} {
        pair(c_, d_, "video");
    }

    /// One message each way, left in flight while a row runs.
    void send() {
        ws_client* from[2] = {&c_, &d_};
        for (int side = 0; side < 2; ++side) {
            auto message = make(side);
            from[side]->send_json(message);
            in_flight_[side].push_back(std::move(message));
            ++sent_;
        }
    }

    /// Everything in flight arrives, in order, with the next seq.
    void receive(duration wait) {
        ws_client* to[2] = {&d_, &c_};
        for (int side = 0; side < 2; ++side) {
            while (!in_flight_[side].empty()) {
                INFO("control pair, " << (side == 0 ? "c to d" : "d to c"));
                expect_message(*to[side], in_flight_[side].front(), wait);
                in_flight_[side].pop_front();
                ++received_;
            }
        }
    }

    /// Nothing lost, nothing extra, both connections still up.
    void finish(duration wait) {
        receive(wait);
        ping_pong(c_);
        ping_pong(d_);
        REQUIRE(c_.pending() == 0);
        REQUIRE(d_.pending() == 0);
        REQUIRE_FALSE(c_.state().closed);
        REQUIRE_FALSE(d_.state().closed);
        REQUIRE(received_ == sent_);
    }

    void close() {
        c_.close();
        d_.close();
    }

    int sent() const { return sent_; }

private:
    json make(int side) {
        const int n = ++count_[side];
        const std::string marker = std::to_string(side + 7) + std::to_string(n);
        if (n % 2 == 1 && offers_[side] > 0) {
            --offers_[side];
            return {{"type", n % 4 == 1 ? "offer" : "answer"}, {"sdp", video_sdp(marker)}};
        }
        if (n % 2 == 0 && candidates_[side] > 0) {
            --candidates_[side];
            return candidate_message(candidate_init(marker, n));
        }
        // Past the caps: end-of-candidates, which the caps do not count.
        if (n % 2 == 0) return {{"type", "candidate"}, {"candidate", nullptr}};
        return candidate_message(
            {{"candidate", ""}, {"sdpMid", "m" + marker}, {"sdpMLineIndex", n % 256}});
    }

    ws_client c_;
    ws_client d_;
    int offers_[2];
    int candidates_[2];
    int count_[2] = {0, 0};
    std::deque<json> in_flight_[2];
    int sent_ = 0;
    int received_ = 0;
};

/// The sequence number the next INFO message will get.
unsigned int next_message_sequence() {
    const Catch::MessageInfo probe("INFO", CATCH_INTERNAL_LINEINFO, Catch::ResultWas::Info);
    return probe.sequence + 1;
}

/// Catch2 pops an INFO message when its scope ends normally, not when an
/// exception leaves it: after a row's failure has been caught, the messages
/// of the scopes it left would be repeated with every later failure. This
/// drops those made since `first` (messages are equal when their sequence is).
void drop_messages_since(unsigned int first) {
    Catch::MessageInfo message("INFO", CATCH_INTERNAL_LINEINFO, Catch::ResultWas::Info);
    const unsigned int last = message.sequence;
    for (unsigned int sequence = first; sequence <= last; ++sequence) {
        message.sequence = sequence;
        Catch::getResultCapture().popScopedMessage(message);
    }
}

/// Runs every row between two control rounds. A failing row is recorded and
/// the next rows still run, so that one run names every failing row.
template <class Row, class Run>
void run_table(const std::vector<Row>& rows, control_pair& control, duration wait, Run run) {
    for (const auto& row : rows) {
        INFO("row: " << row.name);
        const auto first = next_message_sequence();
        control.send();
        try {
            run(row);
        } catch (const Catch::TestFailureException&) {
            drop_messages_since(first);  // the failure is reported already, with the row's name
        } catch (const std::exception& e) {
            drop_messages_since(first);
            FAIL_CHECK("exception: " << e.what());
        }
        control.receive(wait);
    }
}

// ---------------------------------------------------------------------------
// Text rows: messages sent with ws_client.

struct row {
    std::string name;
    start state;
    std::vector<std::string> input = {};  ///< text messages, sent back to back
    std::vector<json> replies = {};       ///< what the sender gets, in order (see expect_reply)
    std::vector<json> relayed = {};       ///< what the partner gets, in order (plus seq)
    int close = 0;                        ///< the close code after the replies; 0: stays open
    duration settle{0};                   ///< silence required before the final ping
    bool marker = true;                   ///< the sender's marker offer after the row (paired)
};

row refused(std::string name, start state, std::string input, const std::string& code,
            const std::string& ref = {}) {
    return {std::move(name), state, {std::move(input)}, {err(code, ref)}, {}};
}

row closes(std::string name, start state, std::string input, int code) {
    return {std::move(name), state, {std::move(input)}, {}, {}, code};
}

row answered(std::string name, start state, std::string input, json reply) {
    return {std::move(name), state, {std::move(input)}, {std::move(reply)}, {}};
}

row relays(std::string name, start state, std::string input, json relayed) {
    return {std::move(name), state, {std::move(input)}, {}, {std::move(relayed)}};
}

/// Accepted and without any answer (a silent drop, or a relay without a partner).
row dropped(std::string name, start state, std::string input) {
    return {std::move(name), state, {std::move(input)}, {}, {}};
}

int marker_counter = 0;

std::string next_marker() { return std::to_string(900000 + ++marker_counter); }

/// Puts `a` (and its partner `b` when the state has one) in `state`.
void put_in(const daemon_process& daemon, start state, ws_client& a, std::optional<ws_client>& b) {
    const json leave = {{"type", "leave"}};
    switch (state) {
    case start::fresh: break;
    case start::idle: ping_pong(a); break;
    case start::left:
        join(a, "text");
        a.send_json(leave);
        expect_message(a, {{"type", "left"}});
        break;
    case start::waiting: join(a, "text"); break;
    case start::paired:
    case start::video:
    case start::ended:
    case start::requeued:
    case start::self_left:
        b.emplace(open_client(daemon));
        pair(a, *b, state == start::video ? "video" : "text");
        if (state == start::ended) {
            b->send_json(leave);
            expect_message(*b, {{"type", "left"}});
            expect_message(a, partner_left);
        } else if (state == start::requeued) {
            a.send_json({{"type", "next"}});
            expect_message(a, {{"type", "waiting"}});
            expect_message(*b, partner_left);
        } else if (state == start::self_left) {
            a.send_json(leave);
            expect_message(a, {{"type", "left"}});
            expect_message(*b, partner_left);
        }
        break;
    }
}

/// A session whose connection was closed with a close frame (either side's)
/// has ended: a newcomer joining its mode is not matched with it.
void expect_not_matched_with_closed(const daemon_process& daemon) {
    auto newcomer = open_client(daemon);
    join(newcomer, "text");
    INFO("a newcomer was matched with the closed session");
    REQUIRE(newcomer.expect_silence(allowance(500ms)));
    newcomer.close();
}

void run_row(const daemon_process& daemon, const row& row, duration wait) {
    auto a = open_client(daemon);
    std::optional<ws_client> b;
    put_in(daemon, row.state, a, b);
    const auto before = a.history().size();
    for (const auto& text : row.input) {
        if (a.state().closed) break;  // the server closed it already (a row expecting that)
        try {
            a.send_text(text);
        } catch (const std::runtime_error&) {
            if (row.close == 0) throw;
            break;
        }
    }
    for (const auto& reply : row.replies) expect_reply(a, reply, wait);
    if (row.close != 0) {
        expect_closed(a, row.close, wait);
        INFO("received: " << json(a.history()).dump());
        // Nothing came between the replies and the close frame.
        REQUIRE(a.history().size() == before + row.replies.size());
        if (row.state == start::waiting) expect_not_matched_with_closed(daemon);
    } else {
        if (row.settle.count() > 0) REQUIRE(a.expect_silence(row.settle));
        ping_pong(a);
    }
    if (b) {
        for (const auto& message : row.relayed) expect_message(*b, message, wait);
        if (is_paired(row.state) && row.close != 0) expect_message(*b, partner_left, at_once());
        if (is_paired(row.state) && row.close == 0) {
            if (row.marker) {
                const auto marker = offer_message(text_sdp(next_marker()));
                a.send_json(marker);
                expect_message(*b, marker, wait);
            }
            const auto marker = offer_message(text_sdp(next_marker()));
            b->send_json(marker);
            expect_message(a, marker, wait);
        }
        ping_pong(*b);
        b->close();
    } else {
        REQUIRE(row.relayed.empty());  // a row relaying needs a partner
    }
    if (!a.state().closed) a.close();
}

// --- building inputs --------------------------------------------------------

std::string ping_with(const std::string& value) { return R"({"type":"ping","x":)" + value + "}"; }

std::string repeat(const std::string& part, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += part;
    return out;
}

/// `{"x":` … `}` nested `depth` levels deep.
std::string nested_objects(int depth) {
    return repeat(R"({"x":)", depth) + "1" + repeat("}", depth);
}

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

/// A ping whose ignored field pads it to exactly `size` bytes.
std::string padded_ping(std::size_t size) {
    const std::string head = R"({"type":"ping","pad":")";
    return head + std::string(size - head.size() - 2, 'p') + R"("})";
}

const std::string head_sdp = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";

/// An SDP of exactly `size` bytes, valid in text mode.
std::string sdp_of_size(std::size_t size) {
    const std::string prefix = "a=x-pad:";
    return head_sdp + prefix + std::string(size - head_sdp.size() - prefix.size() - 2, 'p') +
           "\r\n";
}

std::string offer_text(const std::string& sdp) { return offer_message(sdp).dump(); }
std::string answer_text(const std::string& sdp) { return answer_message(sdp).dump(); }

std::string join_text(const json& fields) {
    json message = {{"type", "join"}};
    if (fields.is_object()) message.update(fields);
    return message.dump();
}

const std::string cand_line = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";

std::string cand_text(const json& init) { return candidate_message(init).dump(); }
std::string cand_raw(const std::string& init) {
    return R"({"type":"candidate","candidate":)" + init + "}";
}

/// The candidate as relayed: sdpMid and sdpMLineIndex always present.
json relayed_cand(const std::string& candidate, json mid, json index,
                  std::optional<std::string> ufrag = {}) {
    json init = {{"candidate", candidate}, {"sdpMid", mid}, {"sdpMLineIndex", index}};
    if (ufrag) init["usernameFragment"] = *ufrag;
    return candidate_message(init);
}

std::string resume_text(const std::string& token_json, const std::string& last_seq_json) {
    return R"({"type":"resume","token":)" + token_json + R"(,"last_seq":)" + last_seq_json + "}";
}

/// `text` as a JSON string literal (nlohmann escapes what needs escaping).
std::string quoted(const std::string& text) { return json(text).dump(); }

std::string utf8_repeat(const char* character, int times) { return repeat(character, times); }

// --- the text table ---------------------------------------------------------

std::vector<row> text_rows() {
    std::vector<row> rows;
    auto add = [&](row r) { rows.push_back(std::move(r)); };

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
        add(refused(std::string("bad_json: ") + name, state, text, "bad_json"));

    // Boundaries of JSON that must be accepted.
    add(answered("JSON: white space around the object", start::idle,
                 " \r\n\t" + ping_text + "\r\n\t ", pong));
    add(answered("JSON: an escaped type", start::idle, R"({"type":"\u0070ing"})", pong));
    add(answered("JSON: a raw DEL in a string", start::idle,
                 ping_with("\"a\x7f"
                           "b\""),
                 pong));
    add(answered("JSON: a surrogate pair", start::idle, ping_with(R"("\ud83d\ude00")"), pong));
    add(answered("JSON: an escaped NUL in an ignored field", start::idle, ping_with(R"("\u0000")"),
                 pong));
    add(answered("JSON: the noncharacter U+FFFF", start::idle, ping_with("\"\xEF\xBF\xBF\""),
                 pong));
    add(answered("JSON: U+10FFFF", start::idle, ping_with("\"\xF4\x8F\xBF\xBF\""), pong));
    add(answered("JSON: a duplicate type, the last counts", start::idle,
                 R"({"type":"fly","type":"ping"})", pong));
    add(answered("JSON: a __proto__ field", start::idle,
                 R"({"type":"ping","__proto__":{"type":"join"}})", pong));
    add(answered("JSON: a seq from the client is ignored", start::idle,
                 R"({"type":"ping","seq":1})", pong));

    // Deep nesting: deeper than 32 levels is bad_json, before anything else.
    add(answered("nesting: 32 levels (the object and 31 arrays)", start::idle,
                 ping_with(nested_arrays(31)), pong));
    add(refused("nesting: 33 levels (the object and 32 arrays)", start::idle,
                ping_with(nested_arrays(32)), "bad_json"));
    add(answered("nesting: 32 levels of objects", start::idle, ping_with(nested_objects(31)),
                 pong));
    add(refused("nesting: 33 levels of objects", start::idle, ping_with(nested_objects(32)),
                "bad_json"));
    add(refused("nesting: 32 levels of bare arrays are JSON, not an object", start::idle,
                nested_arrays(32), "invalid_message"));
    add(refused("nesting: 33 levels of bare arrays", start::idle, nested_arrays(33), "bad_json"));
    add(refused("nesting: 40 levels of arrays and objects", start::idle,
                ping_with(repeat(R"([{"a":)", 20) + "1" + repeat("}]", 20)), "bad_json"));
    add(refused("nesting: 8000 unclosed brackets", start::idle, std::string(8000, '['),
                "bad_json"));
    add(refused("nesting: 8000 closed brackets", start::waiting, nested_arrays(8000), "bad_json"));
    add(refused("nesting: deep interests are bad_json before the field check", start::idle,
                R"({"type":"join","interests":)" + nested_arrays(40) + "}", "bad_json"));
    add(refused("nesting: a deep field in an offer relays nothing", start::paired,
                R"({"type":"offer","sdp":"v=0\r\n","x":)" + nested_arrays(100) + "}", "bad_json"));
    add(refused("nesting: deep and broken", start::idle, std::string(40, '[') + "x", "bad_json"));
    add(answered("nesting: brackets inside a string do not count", start::idle,
                 ping_with("\"" + std::string(100, '[') + std::string(100, '{') + "\""), pong));

    // Valid JSON that is not an object, or has no usable type: no ref.
    const std::vector<std::tuple<const char*, start, std::string>> shapeless = {
        {"an empty array", start::idle, "[]"},
        {"an array holding a ping", start::fresh, R"([{"type":"ping"}])"},
        {"zero", start::idle, "0"},
        {"a float", start::idle, "-1.5e3"},
        {"a string", start::idle, R"("ping")"},
        {"null", start::waiting, "null"},
        {"true", start::idle, "true"},
        {"false", start::idle, "false"},
        {"an empty string", start::idle, R"("")"},
        {"an empty object", start::idle, "{}"},
        {"Type capitalised", start::idle, R"({"Type":"ping"})"},
        {"a key with a space", start::idle, R"({"type ":"ping"})"},
        {"the type nested one level down", start::paired, R"({"data":{"type":"ping"}})"},
        {"a numeric type", start::idle, R"({"type":1})"},
        {"a float type", start::idle, R"({"type":1.5})"},
        {"a boolean type", start::idle, R"({"type":true})"},
        {"a null type", start::waiting, R"({"type":null})"},
        {"an empty-array type", start::idle, R"({"type":[]})"},
        {"an array type", start::idle, R"({"type":["ping"]})"},
        {"an object type", start::video, R"({"type":{"type":"ping"}})"},
        {"a duplicate type, the last not a string", start::idle, R"({"type":"ping","type":5})"},
    };
    for (const auto& [name, state, text] : shapeless)
        add(refused(std::string("invalid_message: ") + name, state, text, "invalid_message"));

    // Types a client may not send: ref only for at most 32 bytes of printable ASCII.
    for (const std::string type :
         {"hello", "waiting", "matched", "pong", "error", "left", "partner_left", "resumed",
          "draining", "Join", "PING", "OFFER", " ping", "ping ", "EVIL<script>", "~"})
        add(refused("unknown_type: " + type, start::idle, json{{"type", type}}.dump(),
                    "unknown_type", type));
    add(refused("unknown_type: 32 bytes keep their ref", start::idle,
                json{{"type", std::string(32, 'x')}}.dump(), "unknown_type", std::string(32, 'x')));
    add(refused("unknown_type: 33 bytes lose their ref", start::idle,
                json{{"type", std::string(33, 'x')}}.dump(), "unknown_type"));
    add(refused("unknown_type: 16000 bytes", start::idle,
                json{{"type", "EVIL" + std::string(16000, 'x')}}.dump(), "unknown_type"));
    add(refused("unknown_type: a NUL inside", start::idle, R"({"type":"p\u0000ing"})",
                "unknown_type"));
    add(refused("unknown_type: a line feed", start::idle, R"({"type":"ping\n"})", "unknown_type"));
    add(refused("unknown_type: a tab", start::idle, R"({"type":"ping\t"})", "unknown_type"));
    add(refused("unknown_type: DEL", start::idle, R"({"type":"ping\u007f"})", "unknown_type"));
    add(refused("unknown_type: non-ASCII", start::idle, json{{"type", "j\xC3\xB6in"}}.dump(),
                "unknown_type"));
    add(refused("unknown_type: a no-break space", start::idle, R"({"type":"\u00a0ping"})",
                "unknown_type"));
    add(refused("unknown_type: checked before the fields", start::idle,
                R"({"type":"fly","sdp":5,"candidate":[]})", "unknown_type", "fly"));
    add(refused("unknown_type: the first of two types when the last is unknown", start::idle,
                R"({"type":"ping","type":"fly"})", "unknown_type", "fly"));
    add(refused("unknown_type: while paired", start::paired, R"({"type":"relay","sdp":"v=0"})",
                "unknown_type", "relay"));
    add(refused("unknown_type: while waiting", start::waiting, R"({"type":"matched"})",
                "unknown_type", "matched"));

    // join: wrong types and bounds (invalid_message, ref join), whatever the state.
    const std::vector<std::tuple<const char*, start, json>> bad_joins = {
        {"mode 5", start::idle, {{"mode", 5}}},
        {"mode true", start::idle, {{"mode", true}}},
        {"mode null", start::idle, {{"mode", nullptr}}},
        {"mode []", start::idle, {{"mode", json::array()}}},
        {"mode {}", start::idle, {{"mode", json::object()}}},
        {"mode empty", start::idle, {{"mode", ""}}},
        {"mode audio", start::idle, {{"mode", "audio"}}},
        {"mode TEXT", start::idle, {{"mode", "TEXT"}}},
        {"mode Video", start::left, {{"mode", "Video"}}},
        {"mode with a space", start::idle, {{"mode", " text"}}},
        {"mode with a NUL", start::idle, {{"mode", std::string("text\0", 5)}}},
        {"mode of 16000 bytes", start::idle, {{"mode", "EVIL" + std::string(16000, 't')}}},
        {"mode while waiting (fields before state)", start::waiting, {{"mode", "tex"}}},
        {"mode while paired (fields before state)", start::paired, {{"mode", 0}}},
        {"interests a string", start::idle, {{"interests", "music"}}},
        {"interests a number", start::idle, {{"interests", 5}}},
        {"interests null", start::idle, {{"interests", nullptr}}},
        {"interests an object", start::idle, {{"interests", {{"a", "music"}}}}},
        {"interests true", start::idle, {{"interests", true}}},
        {"an interest a number", start::idle, {{"interests", {5}}}},
        {"an interest null", start::idle, {{"interests", {nullptr}}}},
        {"an interest true", start::idle, {{"interests", {true}}}},
        {"an interest an array", start::idle, {{"interests", {json::array({"a"})}}}},
        {"an interest an object", start::idle, {{"interests", {json::object()}}}},
        {"the second interest a number", start::idle, {{"interests", {"ok", 5}}}},
        {"5 interests (max 4)", start::idle, {{"interests", {"a", "b", "c", "d", "e"}}}},
        {"5 equal interests count as sent",
         start::idle,
         {{"interests", {"a", "a", "A", " a", "a "}}}},
        {"an empty interest", start::idle, {{"interests", {""}}}},
        {"an interest of spaces", start::idle, {{"interests", {"   "}}}},
        {"an interest of all ASCII white space",
         start::idle,
         {{"interests", {" \t\n\r\x0b\x0c "}}}},
        {"an interest of 33 bytes", start::idle, {{"interests", {std::string(33, 'x')}}}},
        {"an interest of 33 bytes in 32 characters",
         start::idle,
         {{"interests", {"\xC3\xA9" + std::string(31, 'x')}}}},
        {"an interest of 17 two-byte characters",
         start::idle,
         {{"interests", {utf8_repeat("\xC3\xA9", 17)}}}},
        {"an interest of 16000 bytes",
         start::idle,
         {{"interests", {"EVIL" + std::string(16000, 'i')}}}},
        {"an interest with U+0001", start::idle, {{"interests", {"a\x01z"}}}},
        {"an interest that is U+0001", start::idle, {{"interests", {"\x01"}}}},
        {"an interest with U+001F", start::idle, {{"interests", {"a\x1fz"}}}},
        {"an interest with NUL", start::idle, {{"interests", {std::string("a\0z", 3)}}}},
        {"an interest with DEL", start::idle, {{"interests", {"a\x7fz"}}}},
        {"an interest with U+0080", start::idle, {{"interests", {"a\xC2\x80z"}}}},
        {"an interest with U+0085", start::idle, {{"interests", {"a\xC2\x85z"}}}},
        {"an interest with U+009F", start::idle, {{"interests", {"a\xC2\x9Fz"}}}},
        {"an interest with an inner tab", start::idle, {{"interests", {"a\tz"}}}},
        {"an interest with U+200B", start::idle, {{"interests", {"a\xE2\x80\x8Bz"}}}},
        {"an interest with U+200C", start::idle, {{"interests", {"a\xE2\x80\x8Cz"}}}},
        {"an interest with U+200D", start::idle, {{"interests", {"a\xE2\x80\x8Dz"}}}},
        {"an interest with U+2060", start::idle, {{"interests", {"a\xE2\x81\xA0z"}}}},
        {"an interest with U+FEFF", start::idle, {{"interests", {"a\xEF\xBB\xBFz"}}}},
        {"an interest with U+180E", start::idle, {{"interests", {"a\xE1\xA0\x8Ez"}}}},
        {"an interest with U+061C", start::idle, {{"interests", {"a\xD8\x9Cz"}}}},
        {"an interest with U+200E", start::idle, {{"interests", {"a\xE2\x80\x8Ez"}}}},
        {"an interest with U+200F", start::idle, {{"interests", {"a\xE2\x80\x8Fz"}}}},
        {"an interest with U+202A", start::idle, {{"interests", {"a\xE2\x80\xAAz"}}}},
        {"an interest with U+202B", start::idle, {{"interests", {"a\xE2\x80\xABz"}}}},
        {"an interest with U+202C", start::idle, {{"interests", {"a\xE2\x80\xACz"}}}},
        {"an interest with U+202D", start::idle, {{"interests", {"a\xE2\x80\xADz"}}}},
        {"an interest with U+202E", start::idle, {{"interests", {"a\xE2\x80\xAEz"}}}},
        {"an interest with U+2066", start::idle, {{"interests", {"a\xE2\x81\xA6z"}}}},
        {"an interest with U+2067", start::idle, {{"interests", {"a\xE2\x81\xA7z"}}}},
        {"an interest with U+2068", start::idle, {{"interests", {"a\xE2\x81\xA8z"}}}},
        {"an interest with U+2069", start::idle, {{"interests", {"a\xE2\x81\xA9z"}}}},
        {"the fourth interest refused",
         start::idle,
         {{"interests", {"music", "chess", "go", "\xE2\x80\x8B"}}}},
        {"a bad interest while waiting", start::waiting, {{"interests", {""}}}},
        {"a bad interest while paired", start::paired, {{"interests", {7}}}},
        {"a bad interest in the trickle window", start::requeued, {{"interests", "x"}}},
    };
    for (const auto& [name, state, fields] : bad_joins)
        add(refused(std::string("join: ") + name, state, join_text(fields), "invalid_message",
                    "join"));
    add(refused("join: interests as an escaped zero-width space", start::idle,
                R"({"type":"join","interests":["a\u200bz"]})", "invalid_message", "join"));
    add(refused("join: interests as an escaped bidi override", start::idle,
                R"({"type":"join","interests":["\u202e"]})", "invalid_message", "join"));
    const json waiting = {{"type", "waiting"}};
    add(answered("join: a no-break space is neither trimmed nor refused", start::idle,
                 join_text({{"interests", {"\xC2\xA0"}}}), waiting));
    add(answered("join: vertical tab and form feed are trimmed", start::idle,
                 join_text({{"interests",
                             {"\x0b"
                              "chess\x0c"}}}),
                 waiting));
    add(answered(
        "join: 32 bytes after trimming 80 spaces", start::idle,
        join_text(
            {{"interests", {std::string(40, ' ') + std::string(32, 'y') + std::string(40, ' ')}}}),
        waiting));
    add(answered("join: 4 interests", start::left, join_text({{"interests", {"a", "b", "c", "d"}}}),
                 waiting));

    // offer and answer: the sdp field's type (invalid_message), then its content (invalid_sdp).
    const std::vector<std::tuple<const char*, start, std::string>> bad_sdp_fields = {
        {"no sdp", start::paired, R"({"type":"offer"})"},
        {"sdp 5", start::paired, R"({"type":"offer","sdp":5})"},
        {"sdp null", start::video, R"({"type":"answer","sdp":null})"},
        {"sdp true", start::paired, R"({"type":"answer","sdp":true})"},
        {"sdp []", start::paired, R"({"type":"offer","sdp":[]})"},
        {"sdp an array of a string", start::paired, R"({"type":"offer","sdp":["v=0\r\n"]})"},
        {"sdp an object", start::paired, R"({"type":"answer","sdp":{"sdp":"v=0\r\n"}})"},
        {"sdp 5 while idle (fields before state)", start::idle, R"({"type":"offer","sdp":5})"},
        {"no sdp in the trickle window", start::ended, R"({"type":"answer"})"},
    };
    for (const auto& [name, state, text] : bad_sdp_fields)
        add(refused(std::string("sdp field: ") + name, state, text, "invalid_message",
                    json::parse(text)["type"].get<std::string>()));

    const std::string h = head_sdp;
    const std::vector<std::tuple<const char*, std::string>> bad_sdps = {
        {"empty", ""},
        {"v=1", "v=1\r\n"},
        {"V=0", "V=0\r\n"},
        {"a space before v=0", " v=0\r\n"},
        {"a line feed before v=0", "\r\nv=0\r\n"},
        {"s= before v=0", "s=-\r\nv=0\r\n"},
        {"v= without 0", "v=\r\n"},
        {"v0", "v0\r\n"},
        {"plain text", "EVIL"},
        {"v=0 without a line ending", "v=0"},
        {"a last line without a line ending", h + "a=EVIL"},
        {"an empty line", h + "\r\n"},
        {"an empty line at the end", h + "a=x\r\n\n"},
        {"an upper-case type", h + "A=EVIL\r\n"},
        {"a two-letter type", h + "ab=EVIL\r\n"},
        {"a line without =", h + "a EVIL\r\n"},
        {"a line starting with =", h + "=EVIL\r\n"},
        {"a digit type", h + "1=EVIL\r\n"},
        {"a non-ASCII type", h + "\xC3\xA9=EVIL\r\n"},
        {"a tab", h + "a=EVIL\tx\r\n"},
        {"a bare CR inside a line", h + "a=EVIL\rx\r\n"},
        {"a CR at the end", h + "a=EVIL\r"},
        {"LF CR", h + "a=EVIL\n\r"},
        {"U+0001", h + "a=EVIL\x01\r\n"},
        {"NUL", h + std::string("a=EVIL\0\r\n", 9)},
        {"ESC", h + "a=EVIL\x1b[0m\r\n"},
        {"DEL", h + "a=EVIL\x7f\r\n"},
        {"U+0085", h + "a=EVIL\xC2\x85\r\n"},
        {"U+009F", h + "a=EVIL\xC2\x9F\r\n"},
        {"4097 bytes (max_sdp_bytes 4096)", sdp_of_size(4097)},
        {"12000 bytes", sdp_of_size(12000)},
        {"m=video in text mode", h + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"},
        {"m=audio in text mode", h + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"},
        {"m=applicationx in text mode", h + "m=applicationx 9 UDP/DTLS/SCTP x\r\n"},
        {"m=application without a space in text mode", h + "m=application\r\n"},
        {"m=Application in text mode", h + "m=Application 9 UDP/DTLS/SCTP x\r\n"},
        {"m= application in text mode", h + "m= application 9 UDP/DTLS/SCTP x\r\n"},
        {"video after application in text mode",
         h + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nm=video 9 RTP/AVP 0\r\n"},
        {"a browser's video SDP in text mode", video_sdp()},
    };
    bool as_offer = true;
    for (const auto& [name, sdp] : bad_sdps) {
        const std::string type = as_offer ? "offer" : "answer";
        add(refused(std::string("sdp: ") + name, start::paired,
                    json{{"type", type}, {"sdp", sdp}}.dump(), "invalid_sdp", type));
        as_offer = !as_offer;
    }
    add(refused("sdp: grammar in video mode too", start::video, offer_text(h + "M=video\r\n"),
                "invalid_sdp", "offer"));
    add(refused("sdp: too large in video mode", start::video, answer_text(sdp_of_size(4097)),
                "invalid_sdp", "answer"));
    add(refused("sdp: an escaped NUL", start::paired,
                R"({"type":"offer","sdp":"v=0\r\na=EVIL\u0000\r\n"})", "invalid_sdp", "offer"));
    add(refused("sdp: invalid while idle (content before state)", start::idle, offer_text("x"),
                "invalid_sdp", "offer"));
    add(refused("sdp: too large while waiting (content before state)", start::waiting,
                answer_text(sdp_of_size(5000)), "invalid_sdp", "answer"));
    add(refused("sdp: invalid in the trickle window (content before the drop)", start::requeued,
                offer_text("v=0\r\nEVIL"), "invalid_sdp", "offer"));
    add(refused("sdp: m=video in a text session never paired is bad_state (state first)",
                start::left, offer_text(video_sdp()), "bad_state", "offer"));
    add(dropped("sdp: m=video in a text pairing's trickle window is dropped (state first)",
                start::ended, offer_text(video_sdp())));
    {
        // Bytes are counted after JSON escapes: 2042 escaped é make 4096 bytes.
        const std::string tail = "a=x:p" + utf8_repeat("\xC3\xA9", 2042) + "\r\n";
        const std::string escaped = "a=x:p" + repeat("\\u00e9", 2042) + "\\r\\n";
        add(relays("sdp: 4096 bytes written as 24000 escaped bytes", start::paired,
                   R"({"type":"offer","sdp":"v=0\r\n)" + escaped + R"("})",
                   offer_message("v=0\r\n" + tail)));
        add(refused("sdp: 4097 bytes written with escapes", start::paired,
                    R"({"type":"offer","sdp":"v=0\r\na=x:)" + repeat("\\u00e9", 2043) + R"(\r\n"})",
                    "invalid_sdp", "offer"));
    }
    const std::vector<std::tuple<const char*, start, std::string>> good_sdps = {
        {"exactly max_sdp_bytes", start::paired, sdp_of_size(4096)},
        {"v=0 and LF", start::paired, "v=0\n"},
        {"CRLF and LF mixed", start::paired, "v=0\ns=-\r\nt=0 0\n"},
        {"an empty value", start::paired, "v=0\r\ns=\r\n"},
        {"UTF-8 in values", start::paired, "v=0\r\ns=\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80\r\n"},
        {"no m= line in text mode", start::paired, head_sdp},
        {"m=application in text mode", start::paired, text_sdp("77")},
        {"video in video mode", start::video, video_sdp("78")},
    };
    for (const auto& [name, state, sdp] : good_sdps)
        add(relays(std::string("sdp relayed: ") + name, state, answer_text(sdp),
                   answer_message(sdp)));
    add(relays("sdp relayed: extra fields and a client seq are dropped", start::paired,
               R"({"type":"offer","sdp":"v=0\r\n","seq":77,"EVIL":{"type":"join"}})",
               offer_message("v=0\r\n")));
    add(relays("sdp relayed: a duplicate sdp, the last counts", start::paired,
               R"({"type":"offer","sdp":"EVIL","sdp":"v=0\r\n"})", offer_message("v=0\r\n")));

    // candidate: the field's type (invalid_message), then its members (invalid_candidate).
    const std::vector<std::tuple<const char*, start, std::string>> bad_cand_fields = {
        {"no candidate", start::video, R"({"type":"candidate"})"},
        {"candidate 5", start::video, cand_raw("5")},
        {"candidate a string", start::video, cand_raw(quoted(cand_line))},
        {"candidate true", start::paired, cand_raw("true")},
        {"candidate []", start::video, cand_raw("[]")},
        {"candidate [{…}]", start::video, cand_raw(R"([{"candidate":"","sdpMid":"0"}])")},
        {"candidate 5 while idle (fields before state)", start::idle, cand_raw("5")},
    };
    for (const auto& [name, state, text] : bad_cand_fields)
        add(refused(std::string("candidate field: ") + name, state, text, "invalid_message",
                    "candidate"));

    const json mid0 = {{"sdpMid", "0"}};
    auto with = [](json base, const json& extra) {
        base.update(extra);
        return base;
    };
    const json line0 = {{"candidate", cand_line}, {"sdpMid", "0"}};
    const std::vector<std::tuple<const char*, std::string>> bad_cands = {
        {"no candidate member", cand_text(mid0)},
        {"candidate member 5", cand_text(with(mid0, {{"candidate", 5}}))},
        {"candidate member null", cand_text(with(mid0, {{"candidate", nullptr}}))},
        {"candidate member true", cand_text(with(mid0, {{"candidate", true}}))},
        {"candidate member []", cand_text(with(mid0, {{"candidate", json::array()}}))},
        {"candidate member {}", cand_text(with(mid0, {{"candidate", json::object()}}))},
        {"no candidate: prefix",
         cand_text(with(mid0, {{"candidate", "1 1 udp 1 192.0.2.1 1 typ host"}}))},
        {"Candidate:",
         cand_text(with(mid0, {{"candidate", "Candidate:1 1 udp 1 192.0.2.1 1 typ host"}}))},
        {"CANDIDATE:", cand_text(with(mid0, {{"candidate", "CANDIDATE:1"}}))},
        {"a space before candidate:", cand_text(with(mid0, {{"candidate", " " + cand_line}}))},
        {"candidate without a colon", cand_text(with(mid0, {{"candidate", "candidate 1 1 udp"}}))},
        {"candidat:", cand_text(with(mid0, {{"candidate", "candidat:1 1 udp"}}))},
        {"the SDP form a=candidate:", cand_text(with(mid0, {{"candidate", "a=" + cand_line}}))},
        {"1025 bytes",
         cand_text(with(mid0, {{"candidate", "candidate:" + std::string(1015, '1')}}))},
        {"16000 bytes",
         cand_text(with(mid0, {{"candidate", "candidate:EVIL" + std::string(16000, '1')}}))},
        {"U+0001", cand_text(with(mid0, {{"candidate", cand_line + "\x01"}}))},
        {"NUL", cand_text(with(mid0, {{"candidate", cand_line + std::string(1, '\0')}}))},
        {"a tab", cand_text(with(mid0, {{"candidate", "candidate:1\t1 udp"}}))},
        {"a trailing CRLF", cand_text(with(mid0, {{"candidate", cand_line + "\r\n"}}))},
        {"a line feed and a second line",
         cand_text(with(mid0, {{"candidate", cand_line + "\na=EVIL"}}))},
        {"DEL", cand_text(with(mid0, {{"candidate", cand_line + "\x7f"}}))},
        {"U+0085", cand_text(with(mid0, {{"candidate", cand_line + "\xC2\x85"}}))},
        {"sdpMid 0", cand_text(with(line0, {{"sdpMid", 0}}))},
        {"sdpMid true", cand_text(with(line0, {{"sdpMid", true}}))},
        {"sdpMid []", cand_text(with(line0, {{"sdpMid", json::array()}}))},
        {"sdpMid {}", cand_text(with(line0, {{"sdpMid", json::object()}}))},
        {"sdpMid empty", cand_text(with(line0, {{"sdpMid", ""}}))},
        {"sdpMid of 65 bytes", cand_text(with(line0, {{"sdpMid", std::string(65, 'm')}}))},
        {"sdpMid of 16000 bytes", cand_text(with(line0, {{"sdpMid", std::string(16000, 'm')}}))},
        {"sdpMid a space", cand_text(with(line0, {{"sdpMid", " "}}))},
        {"sdpMid with a space", cand_text(with(line0, {{"sdpMid", "a b"}}))},
        {"sdpMid with NUL", cand_text(with(line0, {{"sdpMid", std::string("0\0", 2)}}))},
        {"sdpMid non-ASCII", cand_text(with(line0, {{"sdpMid", "\xC3\xA9"}}))},
        {"sdpMid (", cand_text(with(line0, {{"sdpMid", "("}}))},
        {"sdpMid )", cand_text(with(line0, {{"sdpMid", ")"}}))},
        {"sdpMid <", cand_text(with(line0, {{"sdpMid", "<"}}))},
        {"sdpMid >", cand_text(with(line0, {{"sdpMid", ">"}}))},
        {"sdpMid @", cand_text(with(line0, {{"sdpMid", "@"}}))},
        {"sdpMid ,", cand_text(with(line0, {{"sdpMid", ","}}))},
        {"sdpMid ;", cand_text(with(line0, {{"sdpMid", ";"}}))},
        {"sdpMid :", cand_text(with(line0, {{"sdpMid", ":"}}))},
        {"sdpMid backslash", cand_text(with(line0, {{"sdpMid", "\\"}}))},
        {"sdpMid quote", cand_text(with(line0, {{"sdpMid", "\""}}))},
        {"sdpMid /", cand_text(with(line0, {{"sdpMid", "/"}}))},
        {"sdpMid [", cand_text(with(line0, {{"sdpMid", "["}}))},
        {"sdpMid ]", cand_text(with(line0, {{"sdpMid", "]"}}))},
        {"sdpMid ?", cand_text(with(line0, {{"sdpMid", "?"}}))},
        {"sdpMid =", cand_text(with(line0, {{"sdpMid", "="}}))},
        {"sdpMid a tab", cand_text(with(line0, {{"sdpMid", "\t"}}))},
        {"sdpMLineIndex -1",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":-1})")},
        {"sdpMLineIndex 256",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":256})")},
        {"sdpMLineIndex 65536",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":65536})")},
        {"sdpMLineIndex 1.5",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":1.5})")},
        {"sdpMLineIndex 0.0",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":0.0})")},
        {"sdpMLineIndex 1e0",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":1e0})")},
        {"sdpMLineIndex 1E2",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":1E2})")},
        {"sdpMLineIndex \"0\"",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":"0"})")},
        {"sdpMLineIndex true",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":true})")},
        {"sdpMLineIndex []",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":[]})")},
        {"sdpMLineIndex 2^64",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":18446744073709551616})")},
        {"sdpMLineIndex -2^63-1",
         cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":-9223372036854775809})")},
        {"usernameFragment empty", cand_text(with(line0, {{"usernameFragment", ""}}))},
        {"usernameFragment of 257 bytes",
         cand_text(with(line0, {{"usernameFragment", std::string(257, 'u')}}))},
        {"usernameFragment of 16000 bytes",
         cand_text(with(line0, {{"usernameFragment", std::string(16000, 'u')}}))},
        {"usernameFragment 7", cand_text(with(line0, {{"usernameFragment", 7}}))},
        {"usernameFragment true", cand_text(with(line0, {{"usernameFragment", true}}))},
        {"usernameFragment []", cand_text(with(line0, {{"usernameFragment", json::array()}}))},
        {"usernameFragment {}", cand_text(with(line0, {{"usernameFragment", json::object()}}))},
        {"usernameFragment with a space", cand_text(with(line0, {{"usernameFragment", "a b"}}))},
        {"usernameFragment with -", cand_text(with(line0, {{"usernameFragment", "a-b"}}))},
        {"usernameFragment with _", cand_text(with(line0, {{"usernameFragment", "a_b"}}))},
        {"usernameFragment with =", cand_text(with(line0, {{"usernameFragment", "ab=="}}))},
        {"usernameFragment with .", cand_text(with(line0, {{"usernameFragment", "a.b"}}))},
        {"usernameFragment with :", cand_text(with(line0, {{"usernameFragment", "a:b"}}))},
        {"usernameFragment non-ASCII", cand_text(with(line0, {{"usernameFragment", "\xC3\xA9"}}))},
        {"usernameFragment with NUL",
         cand_text(with(line0, {{"usernameFragment", std::string("a\0", 2)}}))},
        {"neither sdpMid nor sdpMLineIndex", cand_text({{"candidate", cand_line}})},
        {"both null",
         cand_text({{"candidate", cand_line}, {"sdpMid", nullptr}, {"sdpMLineIndex", nullptr}})},
        {"sdpMid null, no sdpMLineIndex",
         cand_text({{"candidate", cand_line}, {"sdpMid", nullptr}})},
        {"only a usernameFragment",
         cand_text({{"candidate", cand_line}, {"usernameFragment", "abc"}})},
        {"end-of-candidates with sdpMid of 65 bytes",
         cand_text({{"candidate", ""}, {"sdpMid", std::string(65, 'm')}})},
        {"end-of-candidates with sdpMLineIndex 300",
         cand_text({{"candidate", ""}, {"sdpMLineIndex", 300}})},
        {"end-of-candidates with an empty usernameFragment",
         cand_text({{"candidate", ""}, {"usernameFragment", ""}})},
        {"end-of-candidates with sdpMid 0", cand_text({{"candidate", ""}, {"sdpMid", 0}})},
    };
    start cand_state = start::video;
    for (const auto& [name, text] : bad_cands) {
        add(refused(std::string("candidate: ") + name, cand_state, text, "invalid_candidate",
                    "candidate"));
        cand_state = cand_state == start::video ? start::paired : start::video;
    }
    add(refused("candidate: invalid while idle (content before state)", start::idle,
                cand_text({{"candidate", "EVIL"}, {"sdpMid", "0"}}), "invalid_candidate",
                "candidate"));
    add(refused("candidate: invalid while waiting (content before state)", start::waiting,
                cand_text({{"candidate", cand_line}, {"sdpMLineIndex", -5}}), "invalid_candidate",
                "candidate"));
    add(refused("candidate: invalid in the trickle window (content before the drop)", start::ended,
                cand_text({{"candidate", cand_line}}), "invalid_candidate", "candidate"));
    add(refused("candidate: invalid after its own next (content before the drop)", start::requeued,
                cand_text({{"candidate", cand_line}, {"sdpMid", "a b"}}), "invalid_candidate",
                "candidate"));

    const std::string line1024 = "candidate:" + std::string(1014, '1');
    const std::string token_chars = "!#$%&'*+-.^_`{|}~09azAZ";
    add(relays("candidate relayed: 1024 bytes, sdpMid of 64, sdpMLineIndex 255, ufrag of 256",
               start::video,
               cand_text({{"candidate", line1024},
                          {"sdpMid", std::string(64, 'm')},
                          {"sdpMLineIndex", 255},
                          {"usernameFragment", std::string(256, 'u')}}),
               relayed_cand(line1024, std::string(64, 'm'), 255, std::string(256, 'u'))));
    add(relays("candidate relayed: every token character in sdpMid", start::video,
               cand_text({{"candidate", cand_line}, {"sdpMid", token_chars}}),
               relayed_cand(cand_line, token_chars, nullptr)));
    add(relays(
        "candidate relayed: every ICE character in usernameFragment", start::paired,
        cand_text({{"candidate", cand_line}, {"sdpMid", "0"}, {"usernameFragment", "+/aZ09"}}),
        relayed_cand(cand_line, "0", nullptr, std::string("+/aZ09"))));
    add(relays("candidate relayed: sdpMLineIndex -0 is the integer 0", start::video,
               cand_raw(R"({"candidate":")" + cand_line + R"(","sdpMLineIndex":-0})"),
               relayed_cand(cand_line, nullptr, 0)));
    add(relays(
        "candidate relayed: a null usernameFragment is left out", start::video,
        cand_text({{"candidate", cand_line}, {"sdpMLineIndex", 1}, {"usernameFragment", nullptr}}),
        relayed_cand(cand_line, nullptr, 1)));
    add(relays("candidate relayed: candidate: alone", start::video,
               cand_text({{"candidate", "candidate:"}, {"sdpMid", "0"}}),
               relayed_cand("candidate:", "0", nullptr)));
    add(relays("candidate relayed: extra fields are dropped", start::video,
               R"({"type":"candidate","seq":3,"EVIL":1,"candidate":{"candidate":")" + cand_line +
                   R"(","sdpMid":"0","sdpMLineIndex":0,"EVIL":true}})",
               relayed_cand(cand_line, "0", 0)));
    add(relays("candidate relayed: a bare end-of-candidates string", start::paired,
               cand_text({{"candidate", ""}}), relayed_cand("", nullptr, nullptr)));
    add(relays("candidate relayed: null", start::paired, cand_raw("null"),
               {{"type", "candidate"}, {"candidate", nullptr}}));

    // resume: only as the first message; fields before state.
    const std::string token22 = quoted("AAAAAAAAAAAAAAAAAAAAAA");
    const std::vector<std::tuple<const char*, std::string>> bad_resumes = {
        {"no fields", R"({"type":"resume"})"},
        {"no token", R"({"type":"resume","last_seq":0})"},
        {"token 5", resume_text("5", "0")},
        {"token null", resume_text("null", "0")},
        {"token true", resume_text("true", "0")},
        {"token []", resume_text("[]", "0")},
        {"token {}", resume_text("{}", "0")},
        {"token of 65 bytes", resume_text(quoted(std::string(65, 'A')), "0")},
        {"token of 66 bytes in 33 characters",
         resume_text(quoted(utf8_repeat("\xC3\xA9", 33)), "0")},
        {"token of 16000 bytes", resume_text(quoted("EVIL" + std::string(16000, 'A')), "0")},
        {"no last_seq", R"({"type":"resume","token":"AAAAAAAAAAAAAAAAAAAAAA"})"},
        {"last_seq -1", resume_text(token22, "-1")},
        {"last_seq 1.5", resume_text(token22, "1.5")},
        {"last_seq 0.0", resume_text(token22, "0.0")},
        {"last_seq 1e2", resume_text(token22, "1e2")},
        {"last_seq \"0\"", resume_text(token22, R"("0")")},
        {"last_seq null", resume_text(token22, "null")},
        {"last_seq true", resume_text(token22, "true")},
        {"last_seq []", resume_text(token22, "[]")},
        {"last_seq 2^64", resume_text(token22, "18446744073709551616")},
    };
    for (const auto& [name, text] : bad_resumes)
        add(refused(std::string("resume: ") + name, start::fresh, text, "invalid_message",
                    "resume"));
    add(refused("resume: bad fields after a ping (fields before state)", start::idle,
                resume_text("5", "0"), "invalid_message", "resume"));
    const std::vector<std::tuple<const char*, std::string>> unknown_resumes = {
        {"an unknown token", resume_text(token22, "0")},
        {"an empty token", resume_text(R"("")", "0")},
        {"a token of 64 bytes", resume_text(quoted(std::string(64, 'A')), "0")},
        {"a token of 64 bytes in 32 characters",
         resume_text(quoted(utf8_repeat("\xC3\xA9", 32)), "0")},
        {"a token with NUL, last_seq 2^64-1",
         resume_text(R"("EVIL\u0000")", "18446744073709551615")},
        {"last_seq -0", resume_text(token22, "-0")},
        {"extra fields", R"({"type":"resume","token":"EVIL","last_seq":3,"state":"paired"})"},
    };
    for (const auto& [name, text] : unknown_resumes)
        add(refused(std::string("resume: ") + name, start::fresh, text, "resume_failed", "resume"));
    for (const auto& [name, state] :
         std::vector<std::pair<const char*, start>>{{"idle", start::idle},
                                                    {"waiting", start::waiting},
                                                    {"paired", start::paired},
                                                    {"left", start::left},
                                                    {"the trickle window", start::ended}})
        add(refused(std::string("resume: not the first message, ") + name, state,
                    resume_text(token22, "0"), "bad_state", "resume"));

    // The state table: valid messages in every state that refuses them.
    const std::vector<std::tuple<std::string, std::string, std::string>> relay_messages = {
        {"offer", "offer", offer_text(text_sdp("55"))},
        {"answer", "answer", answer_text(text_sdp("56"))},
        {"candidate", "candidate", cand_text(candidate_init("57"))},
        {"end-of-candidates null", "candidate", cand_raw("null")},
        {"end-of-candidates \"\"", "candidate", cand_text({{"candidate", ""}, {"sdpMid", "0"}})},
    };
    for (const auto& [state_name, state] :
         std::vector<std::pair<const char*, start>>{{"a fresh connection", start::fresh},
                                                    {"idle", start::idle},
                                                    {"idle after join and leave", start::left},
                                                    {"waiting", start::waiting}})
        for (const auto& [name, type, text] : relay_messages)
            add(refused("state: " + name + " in " + state_name, state, text, "bad_state", type));
    for (const auto& [state_name, state] : std::vector<std::pair<const char*, start>>{
             {"the trickle window after partner_left", start::ended},
             {"the trickle window after its own next", start::requeued},
             {"the trickle window after its own leave", start::self_left}})
        for (const auto& [name, type, text] : relay_messages)
            add(dropped("state: " + name + " dropped in " + state_name, state, text));
    add(refused("state: join while waiting", start::waiting, join_text({{"mode", "text"}}),
                "bad_state", "join"));
    add(refused("state: join while paired", start::paired, join_text({}), "bad_state", "join"));
    add(refused("state: join while paired in video", start::video, join_text({{"mode", "video"}}),
                "bad_state", "join"));
    add(refused("state: join after its own next", start::requeued, join_text({{"mode", "text"}}),
                "bad_state", "join"));
    add(refused("state: next in a fresh connection", start::fresh, R"({"type":"next"})",
                "bad_state", "next"));
    add(refused("state: next without a join", start::idle, R"({"type":"next","EVIL":1})",
                "bad_state", "next"));
    add(answered("state: leave in a fresh connection", start::fresh, R"({"type":"leave"})",
                 {{"type", "left"}}));
    add(answered("state: leave while waiting, extra fields ignored", start::waiting,
                 R"({"type":"leave","reason":"EVIL"})", {{"type", "left"}}));
    add(answered("state: next after join and leave", start::left, R"({"type":"next"})", waiting));
    add(answered("state: next after its own next restarts the wait", start::requeued,
                 R"({"type":"next"})", waiting));
    add(answered("state: ping while paired", start::paired, ping_text, pong));

    // Huge messages: over max_message_bytes (16384) is 1009, before any parsing.
    add(answered("size: exactly 16384 bytes", start::idle, padded_ping(16384), pong));
    add(closes("size: 16385 bytes", start::idle, padded_ping(16385), 1009));
    add(closes("size: 16385 bytes of nesting", start::idle, std::string(16385, '['), 1009));
    add(closes("size: 16385 bytes that are not JSON", start::fresh, std::string(16385, '{'), 1009));
    add(closes("size: 20000 bytes of offer while paired", start::paired,
               offer_text(sdp_of_size(19950)), 1009));
    add(closes("size: 16385 bytes of join while waiting", start::waiting,
               join_text({{"interests", {std::string(16400, 'x')}}}), 1009));
    add(answered("size: a 16000-byte key", start::idle,
                 R"({"type":"ping",")" + std::string(16000, 'k') + R"(":1})", pong));
    {
        std::string many = R"({"type":"ping")";
        for (int i = 0; i < 1000; ++i)
            many += ",\"k" + std::to_string(i) + "\":" + std::to_string(i);
        add(answered("size: 1000 ignored keys", start::idle, many + "}", pong));
        std::string numbers = "[0";
        for (int i = 1; i < 3000; ++i) numbers += "," + std::to_string(i % 10);
        add(answered("size: an ignored array of 3000 numbers", start::idle,
                     ping_with(numbers + "]"), pong));
    }

    // Invalid UTF-8 in a text frame: 1007, whatever it would have been.
    const std::vector<std::tuple<const char*, start, std::string>> bad_utf8 = {
        {"a lone continuation byte", start::fresh, "\x80"},
        {"C3 28", start::idle, ping_with("\"\xC3\x28\"")},
        {"overlong / (C0 AF)", start::idle, ping_with("\"\xC0\xAF\"")},
        {"overlong C1 BF", start::idle, ping_with("\"\xC1\xBF\"")},
        {"overlong three bytes (E0 80 AF)", start::idle, ping_with("\"\xE0\x80\xAF\"")},
        {"overlong four bytes (F0 80 80 AF)", start::idle, ping_with("\"\xF0\x80\x80\xAF\"")},
        {"the surrogate U+D800 (ED A0 80)", start::idle, ping_with("\"\xED\xA0\x80\"")},
        {"the surrogate U+DFFF (ED BF BF)", start::idle, ping_with("\"\xED\xBF\xBF\"")},
        {"a CESU-8 surrogate pair", start::idle, ping_with("\"\xED\xA0\xBD\xED\xB8\x80\"")},
        {"above U+10FFFF (F4 90 80 80)", start::idle, ping_with("\"\xF4\x90\x80\x80\"")},
        {"F5", start::idle, ping_with("\"\xF5\x80\x80\x80\"")},
        {"a five-byte form", start::idle, ping_with("\"\xF8\x88\x80\x80\x80\"")},
        {"a six-byte form", start::idle, ping_with("\"\xFC\x84\x80\x80\x80\x80\"")},
        {"FE", start::idle, ping_with("\"\xFE\"")},
        {"FF", start::idle, ping_with("\"\xFF\"")},
        {"truncated at the end", start::idle, ping_text + "\xE2\x82"},
        {"truncated before a space", start::idle, ping_with("\"\xE2\x82 \"")},
        {"Latin-1", start::idle, ping_with("\"caf\xE9\"")},
        {"in a key", start::idle, "{\"\xFF\":1,\"type\":\"ping\"}"},
        {"outside any string", start::idle, ping_text + "\xFF"},
        {"in the type", start::idle, "{\"type\":\"pi\xFFng\"}"},
        {"in an interest while waiting", start::waiting,
         "{\"type\":\"join\",\"interests\":[\"\xC0\x80\"]}"},
        {"in an SDP while paired", start::paired,
         "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\ns=\xED\xA0\x80\\r\\n\"}"},
        {"in a candidate while paired", start::video,
         "{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"candidate:\xFF\",\"sdpMid\":"
         "\"0\"}}"},
        {"in broken JSON", start::idle, "{oops\xFF"},
        {"in a resume", start::fresh, "{\"type\":\"resume\",\"token\":\"\xFF\",\"last_seq\":0}"},
    };
    for (const auto& [name, state, text] : bad_utf8)
        add(closes(std::string("UTF-8: ") + name, state, text, 1007));

    // The error budget (max_errors 10): several inputs on one connection.
    const std::vector<std::pair<std::string, json>> ten_errors = {
        {"{oops", err("bad_json")},
        {"[1]", err("invalid_message")},
        {R"({"type":"EVIL"})", err("unknown_type", "EVIL")},
        {R"({"type":"join"})", err("bad_state", "join")},
        {R"({"type":"offer","sdp":"EVIL"})", err("invalid_sdp", "offer")},
        {cand_text({{"candidate", "EVIL"}, {"sdpMid", "0"}}),
         err("invalid_candidate", "candidate")},
        {resume_text(token22, "0"), err("bad_state", "resume")},
        {join_text({{"mode", "EVIL"}}), err("invalid_message", "join")},
        {answer_text(head_sdp + "m=video 9 RTP/AVP 0\r\n"), err("invalid_sdp", "answer")},
        {R"({"type":"next",)", err("bad_json")},
    };
    {
        row budget{"budget: the tenth error is sent, then 1008; nothing after it is answered",
                   start::paired};
        for (const auto& [text, error] : ten_errors) {
            budget.input.push_back(text);
            budget.replies.push_back(error);
        }
        budget.input.push_back(ping_text);
        budget.close = 1008;
        add(budget);

        row nine{"budget: nine errors leave the connection open", start::paired};
        for (std::size_t i = 0; i + 1 < ten_errors.size(); ++i) {
            nine.input.push_back(ten_errors[i].first);
            nine.replies.push_back(ten_errors[i].second);
        }
        add(nine);

        row mixed{"budget: accepted messages between errors are relayed, in order", start::paired};
        for (int i = 0; i < 10; ++i) {
            mixed.input.push_back(R"({"type":"fly"})");
            mixed.replies.push_back(err("unknown_type", "fly"));
            if (i % 3 == 0 && i < 9) {
                const auto sdp = text_sdp(std::to_string(60 + i));
                mixed.input.push_back(offer_text(sdp));
                mixed.relayed.push_back(offer_message(sdp));
            }
        }
        mixed.input.push_back(offer_text(text_sdp("99")));  // after the close: never relayed
        mixed.close = 1008;
        add(mixed);

        row drops{"budget: silent drops are not errors", start::ended};
        for (int i = 0; i < 15; ++i) drops.input.push_back(cand_text(candidate_init("3", i + 1)));
        for (int i = 0; i < 9; ++i) {
            drops.input.push_back("{oops");
            drops.replies.push_back(err("bad_json"));
        }
        add(drops);

        row waiting_budget{"budget: spent while waiting", start::waiting};
        for (int i = 0; i < 10; ++i) {
            waiting_budget.input.push_back(join_text({{"mode", "text"}}));
            waiting_budget.replies.push_back(err("bad_state", "join"));
        }
        waiting_budget.close = 1008;
        add(waiting_budget);
    }
    return rows;
}

// ---------------------------------------------------------------------------
// Raw frames over TLS.

/// OpenSSL over a non-blocking socket through memory BIOs: every byte read
/// and written is bounded by a deadline, and writes never raise SIGPIPE.
class raw_tls {
public:
    raw_tls(std::uint16_t port, steady::time_point deadline) {
        static SSL_CTX* context = [] {
            SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
            SSL_CTX_load_verify_locations(ctx, shared_tls().certificate.c_str(), nullptr);
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
            return ctx;
        }();
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            throw std::runtime_error("raw_tls: connect failed");
        ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
        ssl_ = SSL_new(context);
        in_ = BIO_new(BIO_s_mem());
        out_ = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl_, in_, out_);
        SSL_set_tlsext_host_name(ssl_, "localhost");
        SSL_set1_host(ssl_, "localhost");
        SSL_set_connect_state(ssl_);
        for (;;) {
            ERR_clear_error();
            const int result = SSL_do_handshake(ssl_);
            const int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, result);
            if (!flush(deadline)) throw std::runtime_error("raw_tls: handshake write failed");
            if (result == 1) break;
            if (error != SSL_ERROR_WANT_READ || fill(deadline) <= 0)
                throw std::runtime_error("raw_tls: TLS handshake failed");
        }
    }

    ~raw_tls() {
        if (ssl_ != nullptr) SSL_free(ssl_);  // frees both BIOs
        if (fd_ >= 0) ::close(fd_);
    }

    raw_tls(const raw_tls&) = delete;
    raw_tls& operator=(const raw_tls&) = delete;

    bool write(std::string_view data, steady::time_point deadline) {
        std::size_t done = 0;
        while (done < data.size()) {
            ERR_clear_error();
            const int written =
                SSL_write(ssl_, data.data() + done, static_cast<int>(data.size() - done));
            if (written <= 0) return false;
            done += static_cast<std::size_t>(written);
            if (!flush(deadline)) return false;
        }
        return true;
    }

    /// Appends decrypted bytes: 1 when some came, 0 on timeout, -1 at the end.
    int read(std::string& into, steady::time_point deadline) {
        for (;;) {
            char buffer[16384];
            ERR_clear_error();
            const int got = SSL_read(ssl_, buffer, sizeof buffer);
            const int error = got > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, got);
            flush(deadline);
            if (got > 0) {
                into.append(buffer, static_cast<std::size_t>(got));
                return 1;
            }
            if (error != SSL_ERROR_WANT_READ) return -1;
            const int filled = fill(deadline);
            if (filled == 0) return 0;
            // On -1 the BIO reports the end now, and SSL_read says so next.
        }
    }

private:
    static int millis_left(steady::time_point deadline) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
        return static_cast<int>(std::clamp<long long>(left, 0, 60000));
    }

    bool flush(steady::time_point deadline) {
        char buffer[16384];
        int pending;
        while ((pending = BIO_read(out_, buffer, sizeof buffer)) > 0) {
            int sent = 0;
            while (sent < pending) {
                const ssize_t n = ::send(fd_, buffer + sent,
                                         static_cast<std::size_t>(pending - sent), MSG_NOSIGNAL);
                if (n > 0) {
                    sent += static_cast<int>(n);
                } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                    pollfd ready{fd_, POLLOUT, 0};
                    if (::poll(&ready, 1, millis_left(deadline)) <= 0) return false;
                } else {
                    return false;
                }
            }
        }
        return true;
    }

    int fill(steady::time_point deadline) {
        if (eof_) return -1;
        for (;;) {
            pollfd ready{fd_, POLLIN, 0};
            const int polled = ::poll(&ready, 1, millis_left(deadline));
            if (polled == 0) return 0;
            if (polled < 0) {
                if (errno == EINTR) continue;
                return -1;
            }
            char buffer[16384];
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n > 0) {
                BIO_write(in_, buffer, static_cast<int>(n));
                return 1;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            eof_ = true;
            BIO_set_mem_eof_return(in_, 0);
            return -1;
        }
    }

    int fd_ = -1;
    SSL* ssl_ = nullptr;
    BIO* in_ = nullptr;
    BIO* out_ = nullptr;
    bool eof_ = false;
};

constexpr std::uint8_t fin = 0x80, rsv1 = 0x40, rsv2 = 0x20, rsv3 = 0x10;
constexpr std::uint8_t op_cont = 0x0, op_text = 0x1, op_binary = 0x2, op_close = 0x8, op_ping = 0x9,
                       op_pong = 0xA;

/// A client frame: `head` is FIN, RSV and opcode; the length says `declared`
/// when given (the payload may then be shorter: only a header goes out).
std::string frame(std::uint8_t head, std::string_view payload, bool masked = true,
                  std::optional<std::uint64_t> declared = {},
                  std::array<std::uint8_t, 4> key = {0x5a, 0xc3, 0x17, 0x9e}) {
    std::string out(1, static_cast<char>(head));
    const std::uint64_t length = declared.value_or(payload.size());
    const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
    if (length < 126) {
        out += static_cast<char>(mask_bit | length);
    } else if (length < 65536) {
        out += static_cast<char>(mask_bit | 126);
        out += static_cast<char>(length >> 8);
        out += static_cast<char>(length & 0xff);
    } else {
        out += static_cast<char>(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out += static_cast<char>((length >> shift) & 0xff);
    }
    if (!masked) return out + std::string(payload);
    for (const auto byte : key) out += static_cast<char>(byte);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out += static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ key[i % 4]);
    return out;
}

std::string close_payload(int code, std::string_view reason = {}) {
    std::string out;
    out += static_cast<char>((code >> 8) & 0xff);
    out += static_cast<char>(code & 0xff);
    return out + std::string(reason);
}

struct server_frame {
    bool fin = false;
    int opcode = 0;
    bool masked = false;
    std::string payload;
};

/// How a raw connection ended, or what came instead.
struct raw_end {
    bool close_frame = false;
    int code = 0;            ///< 1005 for a close frame without a code
    std::string unexpected;  ///< a message that came before the close, if any
};

class raw_ws {
public:
    explicit raw_ws(std::uint16_t port) : tls_(port, steady::now() + 10s) {
        const auto deadline = steady::now() + 10s;
        REQUIRE(
            tls_.write(upgrade_request("/ws", {"Sec-WebSocket-Protocol: onymous.v1"}), deadline));
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
            REQUIRE(tls_.read(buffer_, deadline) > 0);
        const auto head = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        INFO("upgrade response: " << head);
        REQUIRE(head.rfind("HTTP/1.1 101", 0) == 0);
        const auto hello = next_json(10s);
        REQUIRE(hello.has_value());
        REQUIRE(hello->value("type", "") == "hello");
    }

    bool send(std::string_view bytes) { return tls_.write(bytes, steady::now() + 10s); }
    bool send_json(const json& message) { return send(frame(fin | op_text, message.dump())); }

    /// The next frame from the server, answering (and skipping) its pings.
    std::optional<server_frame> next_frame(duration timeout) {
        const auto deadline = steady::now() + timeout;
        for (;;) {
            while (auto parsed = parse()) {
                REQUIRE_FALSE(parsed->masked);  // RFC 6455: a server never masks
                if (parsed->opcode != op_ping) return parsed;
                send(frame(fin | op_pong, parsed->payload));
            }
            if (tls_.read(buffer_, deadline) <= 0) return std::nullopt;
        }
    }

    /// The next text message as JSON; nullopt on a close frame, the end or a timeout.
    std::optional<json> next_json(duration timeout) {
        const auto deadline = steady::now() + timeout;
        std::string text;
        for (;;) {
            auto next = next_frame(std::chrono::duration_cast<duration>(deadline - steady::now()));
            if (!next) return std::nullopt;
            if (next->opcode == op_pong) continue;
            if (next->opcode == op_close) return std::nullopt;
            REQUIRE((next->opcode == op_text || next->opcode == op_cont));
            text += next->payload;
            if (next->fin) return json::parse(text);
        }
    }

    /// Reads until the close frame (or the end); anything else first is unexpected.
    raw_end expect_close(duration timeout) {
        raw_end end;
        const auto deadline = steady::now() + timeout;
        while (auto next =
                   next_frame(std::chrono::duration_cast<duration>(deadline - steady::now()))) {
            if (next->opcode == op_close) {
                end.close_frame = true;
                end.code = next->payload.size() >= 2
                               ? (static_cast<std::uint8_t>(next->payload[0]) << 8) |
                                     static_cast<std::uint8_t>(next->payload[1])
                               : 1005;
                // Complete the closing handshake; the server may be gone already.
                send(frame(fin | op_close, next->payload.substr(0, 2)));
                return end;
            }
            if (next->opcode != op_pong && end.unexpected.empty())
                end.unexpected = "opcode " + std::to_string(next->opcode) + ": " + next->payload;
        }
        return end;
    }

private:
    std::optional<server_frame> parse() {
        const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(buffer_[i]); };
        if (buffer_.size() < 2) return std::nullopt;
        std::uint64_t length = byte(1) & 0x7f;
        std::size_t at = 2;
        if (length == 126) {
            if (buffer_.size() < 4) return std::nullopt;
            length = (byte(2) << 8) | byte(3);
            at = 4;
        } else if (length == 127) {
            if (buffer_.size() < 10) return std::nullopt;
            length = 0;
            for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
            at = 10;
        }
        server_frame out;
        out.fin = (byte(0) & 0x80) != 0;
        out.opcode = byte(0) & 0x0f;
        out.masked = (byte(1) & 0x80) != 0;
        std::array<std::uint8_t, 4> key{};
        if (out.masked) {
            if (buffer_.size() < at + 4) return std::nullopt;
            for (std::size_t i = 0; i < 4; ++i) key[i] = byte(at + i);
            at += 4;
        }
        if (buffer_.size() - at < length) return std::nullopt;
        out.payload = buffer_.substr(at, length);
        if (out.masked)
            for (std::size_t i = 0; i < out.payload.size(); ++i)
                out.payload[i] = static_cast<char>(out.payload[i] ^ key[i % 4]);
        buffer_.erase(0, at + length);
        return out;
    }

    raw_tls tls_;
    std::string buffer_;
};

struct frame_row {
    std::string name;
    start state;  ///< fresh, idle, waiting or paired
    std::string bytes;
    int close = 0;                    ///< the close code expected; 0: the connection goes on
    std::optional<std::string> pong;  ///< then first a pong frame with this payload
    std::optional<json> reply;        ///< then this message
};

void run_frame_row(const daemon_process& daemon, const frame_row& row, duration wait) {
    raw_ws a(daemon.tls_port());
    std::optional<ws_client> b;
    switch (row.state) {
    case start::fresh: break;
    case start::idle:
        REQUIRE(a.send_json({{"type", "ping"}}));
        REQUIRE(a.next_json(wait) == pong);
        break;
    case start::waiting:
    case start::paired:
        REQUIRE(a.send_json(join_message("text")));
        REQUIRE(a.next_json(wait) == json{{"type", "waiting"}, {"seq", 1}});
        if (row.state == start::paired) {
            b.emplace(open_client(daemon));
            join(*b, "text");
            const auto matched = a.next_json(wait);
            REQUIRE(matched.has_value());
            REQUIRE(matched->value("type", "") == "matched");
            expect_type(*b, "matched", wait);
        }
        break;
    default: FAIL("frame rows start fresh, idle, waiting or paired");
    }
    const bool sent = a.send(row.bytes);
    if (row.close != 0) {
        // The server may close before it has read everything: a failed write is fine.
        const auto end = a.expect_close(wait);
        INFO("close frame " << end.close_frame << ", code " << end.code << ", first "
                            << (end.unexpected.empty() ? "nothing else" : end.unexpected));
        REQUIRE(end.unexpected.empty());
        REQUIRE(end.close_frame);
        REQUIRE(end.code == row.close);
        // The client echoed the close and waits for the server to end the TCP
        // connection (RFC 6455, 7.1.1): its session has ended all the same.
        if (b) expect_message(*b, partner_left, at_once());
        if (row.state == start::waiting) expect_not_matched_with_closed(daemon);
    } else {
        REQUIRE(sent);
        if (row.pong) {
            const auto answer = a.next_frame(wait);
            REQUIRE(answer.has_value());
            INFO("opcode " << answer->opcode << ", payload " << answer->payload);
            REQUIRE(answer->opcode == op_pong);
            REQUIRE(answer->payload == *row.pong);
        }
        if (row.reply) REQUIRE(a.next_json(wait) == *row.reply);
        REQUIRE(a.send_json({{"type", "ping"}}));
        REQUIRE(a.next_json(wait) == pong);
        REQUIRE(a.send(frame(fin | op_close, close_payload(1000))));
        const auto end = a.expect_close(wait);
        REQUIRE(end.unexpected.empty());
        REQUIRE(end.close_frame);
        REQUIRE(end.code == 1000);
    }
    if (b) {
        ping_pong(*b);
        b->close();
    }
}

std::vector<frame_row> frame_rows() {
    std::vector<frame_row> rows;
    auto closes = [&](std::string name, start state, std::string bytes, int code) {
        rows.push_back({std::move(name), state, std::move(bytes), code, {}, {}});
    };
    auto accepted = [&](std::string name, start state, std::string bytes,
                        std::optional<std::string> pong_payload, std::optional<json> reply) {
        rows.push_back({std::move(name), state, std::move(bytes), 0, std::move(pong_payload),
                        std::move(reply)});
    };
    const std::string ping_json = ping_text;
    const std::string start_part = R"({"type":)";
    const std::string end_part = R"("ping"})";

    // Control frames: at most 125 bytes, never fragmented (1002).
    closes("ping with a 126-byte payload", start::fresh,
           frame(fin | op_ping, std::string(126, 'p')), 1002);
    closes("ping with a 1000-byte payload", start::idle,
           frame(fin | op_ping, std::string(1000, 'p')), 1002);
    closes("pong with a 126-byte payload", start::fresh,
           frame(fin | op_pong, std::string(126, 'p')), 1002);
    closes("close with a 126-byte payload", start::idle,
           frame(fin | op_close, close_payload(1000, std::string(124, 'r'))), 1002);
    closes("ping without FIN", start::fresh, frame(op_ping, "x"), 1002);
    closes("pong without FIN", start::idle, frame(op_pong, "x"), 1002);
    closes("close without FIN", start::fresh, frame(op_close, close_payload(1000)), 1002);
    closes("ping without FIN inside a fragmented message", start::idle,
           frame(op_text, start_part) + frame(op_ping, "x") + frame(fin | op_cont, end_part), 1002);
    closes("close with a one-byte payload", start::fresh, frame(fin | op_close, "\x03"), 1002);
    for (const int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999})
        closes("close with the invalid code " + std::to_string(code), start::idle,
               frame(fin | op_close, close_payload(code)), 1002);

    // Framing errors (1002).
    closes("continuation with FIN, no message started", start::idle,
           frame(fin | op_cont, ping_json), 1002);
    closes("continuation without FIN, no message started", start::fresh, frame(op_cont, start_part),
           1002);
    closes("a text frame inside a fragmented text message", start::idle,
           frame(op_text, start_part) + frame(fin | op_text, end_part), 1002);
    closes("an unmasked text frame", start::fresh, frame(fin | op_text, ping_json, false), 1002);
    closes("an unmasked text frame while waiting", start::waiting,
           frame(fin | op_text, ping_json, false), 1002);
    closes("an unmasked text frame while paired", start::paired,
           frame(fin | op_text, offer_text(text_sdp("31")), false), 1002);
    closes("an unmasked ping", start::idle, frame(fin | op_ping, "x", false), 1002);
    closes("an unmasked close", start::fresh, frame(fin | op_close, close_payload(1000), false),
           1002);
    closes("an unmasked continuation", start::idle,
           frame(op_text, start_part) + frame(fin | op_cont, end_part, false), 1002);
    closes("RSV1 on a text frame", start::fresh, frame(fin | rsv1 | op_text, ping_json), 1002);
    closes("RSV2 on a text frame", start::idle, frame(fin | rsv2 | op_text, ping_json), 1002);
    closes("RSV3 on a text frame", start::idle, frame(fin | rsv3 | op_text, ping_json), 1002);
    closes("RSV1 on a text frame while waiting", start::waiting,
           frame(fin | rsv1 | op_text, ping_json), 1002);
    closes("RSV1 on a ping", start::idle, frame(fin | rsv1 | op_ping, "x"), 1002);
    closes("RSV3 on a close", start::fresh, frame(fin | rsv3 | op_close, close_payload(1000)),
           1002);
    closes("RSV2 on a continuation", start::idle,
           frame(op_text, start_part) + frame(fin | rsv2 | op_cont, end_part), 1002);
    for (std::uint8_t opcode = 0x3; opcode <= 0x7; ++opcode)
        closes("the reserved data opcode " + std::to_string(opcode),
               opcode % 2 == 0 ? start::idle : start::fresh, frame(fin | opcode, ping_json), 1002);
    for (std::uint8_t opcode = 0xB; opcode <= 0xF; ++opcode)
        closes("the reserved control opcode " + std::to_string(opcode),
               opcode % 2 == 0 ? start::idle : start::waiting, frame(fin | opcode, ""), 1002);
    closes("a reserved opcode while paired", start::paired, frame(fin | 0x5, ping_json), 1002);

    // Sizes (1009), decided on the reassembled message.
    closes("a text frame declaring 2^33 bytes (header only)", start::idle,
           frame(fin | op_text, "", true, std::uint64_t{1} << 33), 1009);
    closes("a text frame declaring 2^63-1 bytes (header only)", start::fresh,
           frame(fin | op_text, "", true, (std::uint64_t{1} << 63) - 1), 1009);
    closes("a text frame declaring 2^33 bytes while waiting", start::waiting,
           frame(fin | op_text, "", true, std::uint64_t{1} << 33), 1009);
    closes("a text frame declaring 2^33 bytes while paired", start::paired,
           frame(fin | op_text, "", true, std::uint64_t{1} << 33), 1009);
    closes("a text frame of 16385 bytes", start::idle, frame(fin | op_text, padded_ping(16385)),
           1009);
    {
        const auto large = padded_ping(18000);
        closes("three fragments of 6000 bytes", start::idle,
               frame(op_text, large.substr(0, 6000)) + frame(op_cont, large.substr(6000, 6000)) +
                   frame(fin | op_cont, large.substr(12000)),
               1009);
        std::string tiny;
        for (std::size_t at = 0; at < large.size(); at += 9)
            tiny += frame(at + 9 >= large.size() ? fin | op_cont : (at == 0 ? op_text : op_cont),
                          large.substr(at, 9));
        closes("2000 fragments of 9 bytes", start::idle, tiny, 1009);
    }
    closes("a continuation declaring 2^33 bytes", start::idle,
           frame(op_text, start_part) + frame(fin | op_cont, "", true, std::uint64_t{1} << 33),
           1009);

    // Binary frames (1003).
    closes("a binary frame", start::fresh, frame(fin | op_binary, ping_json), 1003);
    closes("an empty binary frame", start::idle, frame(fin | op_binary, ""), 1003);
    closes("a fragmented binary message", start::idle,
           frame(op_binary, start_part) + frame(fin | op_cont, end_part), 1003);
    closes("a binary frame while waiting", start::waiting, frame(fin | op_binary, ping_json), 1003);
    closes("a binary frame while paired", start::paired,
           frame(fin | op_binary, offer_text(text_sdp("32"))), 1003);
    closes("a binary frame of invalid UTF-8", start::idle, frame(fin | op_binary, "\xFF\xFE"),
           1003);

    // Invalid UTF-8 (1007), on the reassembled message.
    closes("invalid UTF-8 in a raw frame", start::fresh,
           frame(fin | op_text, "{\"type\":\"ping\",\"x\":\"\xC3\x28\"}"), 1007);
    closes("an invalid sequence across two fragments", start::idle,
           frame(op_text, "{\"type\":\"ping\",\"x\":\"\xE2") + frame(fin | op_cont, "\x28\xA1\"}"),
           1007);
    closes("a fragmented message ending inside a sequence", start::idle,
           frame(op_text, ping_json) + frame(fin | op_cont, "\xE2\x82"), 1007);
    closes("invalid UTF-8 while waiting", start::waiting,
           frame(fin | op_text, "{\"type\":\"leave\",\"x\":\"\xED\xA0\x80\"}"), 1007);
    closes("invalid UTF-8 while paired", start::paired,
           frame(fin | op_text, "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\ns=\xFF\\r\\n\"}"), 1007);

    // What RFC 6455 allows is accepted.
    accepted("a ping with a 125-byte payload", start::idle,
             frame(fin | op_ping, std::string(125, 'q')), std::string(125, 'q'), {});
    accepted("an empty ping", start::fresh, frame(fin | op_ping, ""), std::string(), {});
    accepted("an unsolicited pong", start::idle, frame(fin | op_pong, "EVIL"), {}, {});
    {
        std::string bytes;
        for (std::size_t i = 0; i < ping_json.size(); ++i)
            bytes += frame(i + 1 == ping_json.size() ? fin | op_cont : (i == 0 ? op_text : op_cont),
                           ping_json.substr(i, 1));
        accepted("a message in one-byte fragments", start::idle, bytes, {}, pong);
    }
    accepted(
        "a ping between two fragments", start::idle,
        frame(op_text, start_part) + frame(fin | op_ping, "mid") + frame(fin | op_cont, end_part),
        std::string("mid"), pong);
    accepted("an empty first fragment", start::fresh,
             frame(op_text, "") + frame(fin | op_cont, ping_json), {}, pong);
    accepted(
        "a UTF-8 sequence split across fragments", start::idle,
        frame(op_text, "{\"type\":\"ping\",\"x\":\"\xE2\x82") + frame(fin | op_cont, "\xAC\"}"), {},
        pong);
    accepted("a zero masking key", start::idle,
             frame(fin | op_text, ping_json, true, {}, {0, 0, 0, 0}), {}, pong);
    closes("a close frame with 1000", start::idle, frame(fin | op_close, close_payload(1000)),
           1000);
    closes("a close frame with 1000 while waiting", start::waiting,
           frame(fin | op_close, close_payload(1000)), 1000);
    closes("a close frame with 1000 while paired", start::paired,
           frame(fin | op_close, close_payload(1000)), 1000);
    return rows;
}

// ---------------------------------------------------------------------------
// Floods: low limits, their own daemon.

std::vector<row> flood_rows() {
    std::vector<row> rows;
    const std::string join = join_text({});
    const std::string leave = R"({"type":"leave"})";
    const std::string next = R"({"type":"next"})";
    const json waiting = {{"type", "waiting"}};
    const json left = {{"type", "left"}};
    {
        row r{"flood: past the message burst everything is rate_limited, unparsed", start::fresh};
        for (int i = 0; i < 20; ++i) {
            r.input.push_back(ping_text);
            r.replies.push_back(pong);
        }
        for (const std::string& text :
             std::vector<std::string>{"{oops", R"({"type":"join","mode":5})", nested_arrays(40),
                                      R"({"type":"offer","sdp":"EVIL"})", ping_text}) {
            r.input.push_back(text);
            r.replies.push_back(err("rate_limited"));
        }
        r.settle = 1100ms;  // a token a second: then one more message passes
        rows.push_back(r);
    }
    {
        row r{"flood: rate_limited spends the error budget, then 1008", start::fresh};
        for (int i = 0; i < 27; ++i) r.input.push_back(ping_text);
        for (int i = 0; i < 20; ++i) r.replies.push_back(pong);
        for (int i = 0; i < 6; ++i) r.replies.push_back(err("rate_limited"));
        r.close = 1008;
        rows.push_back(r);
    }
    {
        row r{"flood: while paired the message bucket comes before the caps", start::paired};
        for (int i = 0; i < 19; ++i) {  // the join took the 20th token
            r.input.push_back(cand_raw("null"));
            r.relayed.push_back({{"type", "candidate"}, {"candidate", nullptr}});
        }
        for (int i = 0; i < 3; ++i) {
            r.input.push_back(offer_text(text_sdp("4" + std::to_string(i))));
            r.replies.push_back(err("rate_limited"));
        }
        r.settle = 1100ms;
        r.marker = false;
        rows.push_back(r);
    }
    rows.push_back({"flood: the join bucket, before the state table",
                    start::fresh,
                    {join, leave, join, leave, join, join_text({{"mode", "text"}}), next, leave,
                     next, join_text({{"mode", 5}}), join_text({{"interests", {""}}})},
                    {waiting, left, waiting, left, waiting, err("rate_limited", "join"),
                     err("rate_limited", "next"), left, err("rate_limited", "next"),
                     err("invalid_message", "join"), err("invalid_message", "join")}});
    rows.push_back({"flood: a join refused by its fields costs no join token",
                    start::fresh,
                    {join_text({{"mode", "x"}}), join_text({{"mode", "x"}}),
                     join_text({{"mode", "x"}}), join, leave, join, leave, join},
                    {err("invalid_message", "join"), err("invalid_message", "join"),
                     err("invalid_message", "join"), waiting, left, waiting, left, waiting}});
    rows.push_back({"flood: a join refused by the state table has spent its join token",
                    start::fresh,
                    {join, join, join, join, leave, next},
                    {waiting, err("bad_state", "join"), err("bad_state", "join"),
                     err("rate_limited", "join"), left, err("rate_limited", "next")}});
    {
        row r{"flood: the per-pairing caps, after the text-mode m-line check", start::paired};
        for (int i = 1; i <= 3; ++i) {
            const auto sdp = text_sdp("5" + std::to_string(i));
            r.input.push_back(i == 2 ? answer_text(sdp) : offer_text(sdp));
            r.relayed.push_back(i == 2 ? answer_message(sdp) : offer_message(sdp));
        }
        r.input.push_back(offer_text(text_sdp("54")));
        r.replies.push_back(err("rate_limited", "offer"));
        r.input.push_back(answer_text(text_sdp("55")));
        r.replies.push_back(err("rate_limited", "answer"));
        r.input.push_back(offer_text(video_sdp("56")));
        r.replies.push_back(err("invalid_sdp", "offer"));
        r.input.push_back(answer_text("v=0\r\nEVIL"));
        r.replies.push_back(err("invalid_sdp", "answer"));
        for (int i = 1; i <= 4; ++i) {
            const auto init = candidate_init("6", i);
            r.input.push_back(cand_text(init));
            r.relayed.push_back(candidate_message(init));
        }
        r.input.push_back(cand_text(candidate_init("6", 5)));
        r.replies.push_back(err("rate_limited", "candidate"));
        r.input.push_back(cand_raw("null"));
        r.relayed.push_back({{"type", "candidate"}, {"candidate", nullptr}});
        r.input.push_back(cand_text({{"candidate", ""}, {"sdpMid", "0"}}));
        r.relayed.push_back(relayed_cand("", "0", nullptr));
        r.marker = false;
        rows.push_back(r);
    }
    {
        row r{"flood: silent drops are neither errors nor counted by the caps", start::ended};
        for (int i = 1; i <= 8; ++i) r.input.push_back(cand_text(candidate_init("7", i)));
        r.input.push_back(offer_text(text_sdp("71")));
        r.input.push_back(answer_text(text_sdp("72")));
        rows.push_back(r);
    }
    rows.push_back(
        {"flood: the error budget spent while paired, partner_left at once",
         start::paired,
         {"{oops", R"({"type":"fly"})", join_text({}), offer_text("EVIL"),
          offer_text(video_sdp("8")), cand_text({{"candidate", "x"}, {"sdpMid", "0"}}), ping_text},
         {err("bad_json"), err("unknown_type", "fly"), err("bad_state", "join"),
          err("invalid_sdp", "offer"), err("invalid_sdp", "offer"),
          err("invalid_candidate", "candidate")},
         {},
         1008});
    return rows;
}

}  // namespace

TEST_CASE("hostile text messages: exact error, ref or close code for each, control pair intact",
          "[hostile_input_test][e2e]") {
    daemon_process daemon({{"limits.max_message_bytes", 16384},
                           {"limits.max_sdp_bytes", 4096},
                           {"matching.max_interests", 4},
                           {"limits.max_errors", 10},
                           close_deadline});
    const auto wait = allowance(5s, 3);
    control_pair control(daemon, 1000, 1000);
    {
        // The limits the rows are written for are the ones in force.
        auto probe = open_client(daemon);
        const auto& limits = probe.history().front()["limits"];
        REQUIRE(limits["maxMessageBytes"] == 16384);
        REQUIRE(limits["maxSdpBytes"] == 4096);
        REQUIRE(limits["maxInterests"] == 4);
        probe.close();
    }
    const auto rows = text_rows();
    REQUIRE(rows.size() >= 150);
    run_table(rows, control, wait, [&](const row& r) { run_row(daemon, r, wait); });
    control.finish(wait);
    REQUIRE(control.sent() == 2 * static_cast<int>(rows.size()));
    control.close();
    finish(daemon);
}

TEST_CASE("hostile frames over raw TLS: exact close code for each, control pair intact",
          "[hostile_input_test][e2e]") {
    daemon_process daemon({{"limits.max_message_bytes", 16384}, close_deadline});
    const auto wait = allowance(5s, 3);
    control_pair control(daemon, 1000, 1000);
    const auto rows = frame_rows();
    REQUIRE(rows.size() >= 50);
    run_table(rows, control, wait, [&](const frame_row& r) { run_frame_row(daemon, r, wait); });
    control.finish(wait);
    control.close();
    finish(daemon);
}

TEST_CASE("floods: message bucket, join bucket, caps and error budget; draining comes first",
          "[hostile_input_test][e2e]") {
    daemon_process daemon({{"limits.messages_per_second", 1},
                           {"limits.burst", 20},
                           {"limits.joins_per_second", 1},
                           {"limits.join_burst", 3},
                           {"limits.pair_max_offers", 3},
                           {"limits.pair_max_candidates", 4},
                           {"limits.max_errors", 6},
                           {"shutdown.drain_timeout", "5s"},
                           quick_close});
    const auto wait = allowance(5s, 3);
    // The control pair has the same limits: its relays stay within the caps,
    // then are end-of-candidates, one message a row each way.
    control_pair control(daemon, 3, 4);
    const auto rows = flood_rows();
    run_table(rows, control, wait, [&](const row& r) { run_row(daemon, r, wait); });
    control.finish(wait);
    control.close();

    // Check 3: draining comes before the join bucket and the state table.
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    join(a, "text");
    a.send_json({{"type", "leave"}});
    expect_message(a, {{"type", "left"}});
    join(a, "text");
    a.send_json({{"type", "leave"}});
    expect_message(a, {{"type", "left"}});
    pair(a, b);  // a's third and last join token
    REQUIRE(::kill(daemon.pid(), SIGTERM) == 0);
    expect_message(a, {{"type", "draining"}}, wait);
    expect_message(b, {{"type", "draining"}}, wait);
    a.send_json({{"type", "next"}});
    expect_error(a, "draining", "next", wait);
    a.send_json(join_message("text"));
    expect_error(a, "draining", "join", wait);
    a.send_json({{"type", "leave"}});
    expect_message(a, {{"type", "left"}}, wait);
    expect_closed(a, 1001, wait);
    expect_message(b, partner_left, wait);
    expect_closed(b, 1001, wait);
    REQUIRE(daemon.wait_exit(allowance(10s)).has_value());
    finish(daemon);
}
