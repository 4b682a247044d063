// Hostile input against the real daemon, table-driven (PROTOCOL.md: Transport,
// Close codes, States, Error codes and the order of checks, Client → server;
// the precise rules of docs/protocol.md, Validation rules and Rate limits).
//
// Only what needs the daemon and a socket is here: frames (1002, binary 1003,
// invalid UTF-8 1007, too large 1009, fragmentation, control frames), close
// codes, the error budget's 1008 on the wire, the message bucket in real
// time, a parse error reaching the wire with the connection left open, other
// sessions undisturbed (the control pair), and a sample of one row per error
// code that proves the daemon wires the parser, its configured bounds and the
// state table through.
//
// The grammar rows that used to be here, and the rows about state, resume,
// the budget, the buckets and the caps, are unit rows now, with the same
// names, inputs, states and outcomes, plus each error's exact message text:
// tests/unit/hostile_rows*.cpp, run through protocol::parse() by
// protocol_hostile_grammar_test.cpp and through a session behind a fake
// transport, in each row's state, by session_hostile_input_test.cpp.
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

std::string resume_text(const std::string& token_json, const std::string& last_seq_json) {
    return R"({"type":"resume","token":)" + token_json + R"(,"last_seq":)" + last_seq_json + "}";
}

const std::string token22 = json("AAAAAAAAAAAAAAAAAAAAAA").dump();

// --- the text table ---------------------------------------------------------

std::vector<row> text_rows() {
    std::vector<row> rows;
    auto add = [&](row r) { rows.push_back(std::move(r)); };
    const json waiting = {{"type", "waiting"}};

    // The sample: one row per error code the parser or the state table
    // gives, the bounds taken from the config, a relay rebuilt from the
    // validated fields, a trickle drop. Each is also a unit row; so are the
    // rows of each kind that were here before.
    add(refused("bad_json: an offer, a NUL byte and garbage, while paired", start::paired,
                R"({"type":"offer","sdp":"v=0\r\n"})" + std::string(1, '\0') + "EVIL", "bad_json"));
    add(refused("invalid_message: an array holding a ping", start::fresh, R"([{"type":"ping"}])",
                "invalid_message"));
    add(refused("unknown_type: while paired", start::paired, R"({"type":"relay","sdp":"v=0"})",
                "unknown_type", "relay"));
    add(refused("join: 5 interests (max 4)", start::idle,
                join_text({{"interests", {"a", "b", "c", "d", "e"}}}), "invalid_message", "join"));
    add(answered("join: 4 interests", start::left, join_text({{"interests", {"a", "b", "c", "d"}}}),
                 waiting));
    add(refused("sdp: 4097 bytes (max_sdp_bytes 4096)", start::paired,
                answer_text(sdp_of_size(4097)), "invalid_sdp", "answer"));
    add(relays("sdp relayed: exactly max_sdp_bytes", start::paired, answer_text(sdp_of_size(4096)),
               answer_message(sdp_of_size(4096))));
    add(relays("sdp relayed: extra fields and a client seq are dropped", start::paired,
               R"({"type":"offer","sdp":"v=0\r\n","seq":77,"EVIL":{"type":"join"}})",
               offer_message("v=0\r\n")));
    add(refused("candidate: invalid while waiting (content before state)", start::waiting,
                cand_text({{"candidate", cand_line}, {"sdpMLineIndex", -5}}), "invalid_candidate",
                "candidate"));
    add(relays(
        "candidate relayed: extra fields are dropped", start::video,
        R"({"type":"candidate","seq":3,"EVIL":1,"candidate":{"candidate":")" + cand_line +
            R"(","sdpMid":"0","sdpMLineIndex":0,"EVIL":true}})",
        candidate_message({{"candidate", cand_line}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}})));
    add(refused("state: offer in idle", start::idle, offer_text(text_sdp("55")), "bad_state",
                "offer"));
    add(dropped("state: candidate dropped in the trickle window after partner_left", start::ended,
                cand_text(candidate_init("57"))));
    add(refused("resume: an unknown token", start::fresh, resume_text(token22, "0"),
                "resume_failed", "resume"));

    // Huge messages: over max_message_bytes (16384) is 1009, before any parsing.
    add(answered("size: exactly 16384 bytes", start::idle, padded_ping(16384), pong));
    add(closes("size: 16385 bytes", start::idle, padded_ping(16385), 1009));
    add(closes("size: 16385 bytes of nesting", start::idle, std::string(16385, '['), 1009));
    add(closes("size: 16385 bytes that are not JSON", start::fresh, std::string(16385, '{'), 1009));
    add(closes("size: 20000 bytes of offer while paired", start::paired,
               offer_text(sdp_of_size(19950)), 1009));
    add(closes("size: 16385 bytes of join while waiting", start::waiting,
               join_text({{"interests", {std::string(16400, 'x')}}}), 1009));

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

    // The error budget (max_errors 10) on the wire: ten errors of every kind
    // on one connection, the tenth still sent, then 1008 and partner_left.
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
    row budget{"budget: the tenth error is sent, then 1008; nothing after it is answered",
               start::paired};
    for (const auto& [text, error] : ten_errors) {
        budget.input.push_back(text);
        budget.replies.push_back(error);
    }
    budget.input.push_back(ping_text);
    budget.close = 1008;
    add(budget);
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
// Floods: low limits, their own daemon. The buckets, the caps and the budget
// row by row are unit rows (tests/unit/hostile_rows_session.cpp); here the
// message bucket on the wire and the budget's 1008 with its partner_left.

std::vector<row> flood_rows() {
    std::vector<row> rows;
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
    REQUIRE(rows.size() >= 40);
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

TEST_CASE("floods: message bucket and error budget on the wire; draining comes first",
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
