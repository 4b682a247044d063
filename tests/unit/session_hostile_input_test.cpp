// Every hostile row that needs no socket (hostile_rows.hpp), moved from
// tests/e2e/hostile_input_test.cpp, through a session behind a fake transport
// with the limits of that test's daemons. Each row gets a fresh session put
// first in the row's state, then requires exactly: the replies (errors with
// code, message text and ref), what the partner gets, the close code. After
// a row that leaves the connection open the client still gets its pong and a
// pairing still relays both ways; a session closed while waiting is never
// matched again. Sequenced messages carry the next seq.

#include "hostile_rows.hpp"
#include "session_support.hpp"

#include <chrono>

using namespace onymous;
using namespace onymous::test;
using namespace onymous::test::hostile;

namespace {

/// The text table's daemon: e2e defaults (every rate far away), max_errors 10,
/// max_sdp_bytes 4096, max_interests 4.
void text_table_limits(session_fixture& f) {
    auto& l = f.settings.limits;
    l.max_sdp_bytes = 4096;
    f.settings.max_interests = 4;
    l.max_errors = 10;
    l.messages_per_second = l.burst = l.joins_per_second = l.join_burst = 100000;
    l.pair_max_offers = l.pair_max_candidates = 1000;
}

/// The flood table's daemon.
void flood_limits(session_fixture& f) {
    auto& l = f.settings.limits;
    l.max_errors = 6;
    l.messages_per_second = 1;
    l.burst = 20;
    l.joins_per_second = 1;
    l.join_burst = 3;
    l.pair_max_offers = 3;
    l.pair_max_candidates = 4;
}

bool is_sequenced(const json& message) {
    const auto type = message.at("type").get<std::string>();
    return type != "hello" && type != "pong" && type != "reported" && type != "error" &&
           type != "resumed";
}

/// `expected` with the seq each sequenced message gets after `last`.
std::vector<json> with_seq(std::vector<json> expected, std::uint64_t last) {
    for (auto& message : expected)
        if (is_sequenced(message)) message["seq"] = ++last;
    return expected;
}

/// `from` sends `message`, which reaches `to` (plus its seq) and nothing else.
void expect_relayed(session_fixture& f, client& from, client& to, const json& message) {
    const auto last = to.last_seq();
    from.say(message);
    f.run_all();
    CHECK(to.connection->take() == with_seq({message}, last));
}

/// Puts `a` (and its partner `b` when the state has one) in `state`.
void put_in(session_fixture& f, start state, client& a, std::optional<client>& b) {
    const json join_text_mode = {{"type", "join"}, {"mode", "text"}};
    const json leave = {{"type", "leave"}};
    switch (state) {
    case start::fresh: break;
    case start::idle: a.say({{"type", "ping"}}); break;
    case start::left:
        a.say(join_text_mode);
        a.say(leave);
        break;
    case start::waiting: a.say(join_text_mode); break;
    case start::paired:
    case start::video:
    case start::ended:
    case start::requeued:
    case start::self_left: {
        const json join = {{"type", "join"}, {"mode", state == start::video ? "video" : "text"}};
        b = f.connect();
        a.say(join);
        b->say(join);
        f.run_all();
        REQUIRE(a.connection->take_types() == std::vector<std::string>{"waiting", "matched"});
        REQUIRE(b->connection->take_types() == std::vector<std::string>{"waiting", "matched"});
        if (state == start::ended) {
            b->say(leave);
            f.run_all();
            REQUIRE(b->connection->take_types() == std::vector<std::string>{"left"});
            REQUIRE(a.connection->take_types() == std::vector<std::string>{"partner_left"});
        } else if (state == start::requeued) {
            a.say({{"type", "next"}});
            f.run_all();
            REQUIRE(a.connection->take_types() == std::vector<std::string>{"waiting"});
            REQUIRE(b->connection->take_types() == std::vector<std::string>{"partner_left"});
        } else if (state == start::self_left) {
            a.say(leave);
            f.run_all();
            REQUIRE(a.connection->take_types() == std::vector<std::string>{"left"});
            REQUIRE(b->connection->take_types() == std::vector<std::string>{"partner_left"});
        }
        break;
    }
    }
    f.run_all();
    const auto setup = a.connection->take();
    for (const auto& message : setup) REQUIRE(message.at("type") != "error");
    if (b) b->connection->take();
}

int marker_counter = 0;

std::string next_marker() { return std::to_string(900000 + ++marker_counter); }

void run_row(session_fixture& f, const row& r) {
    INFO("row: " << r.name);
    auto a = f.connect();
    std::optional<client> b;
    put_in(f, r.state, a, b);
    const auto a_seq = a.last_seq();
    const auto b_seq = b ? b->last_seq() : 0;
    // Every input is delivered, even after a close: the ended session ignores them.
    for (const auto& text : r.input) {
        a.say_text(text);
        f.run_all();
    }
    CHECK(a.connection->take() == with_seq(r.replies, a_seq));
    if (r.close != 0) {
        CHECK(a.connection->closed_with.has_value());
        if (a.connection->closed_with)
            CHECK(static_cast<int>(*a.connection->closed_with) == r.close);
        if (r.state == start::waiting) {
            // The session has ended: a newcomer in its mode is not matched with it.
            auto newcomer = f.connect();
            newcomer.say({{"type", "join"}, {"mode", "text"}});
            f.run_all();
            CHECK(newcomer.connection->take_types() == std::vector<std::string>{"waiting"});
        }
    } else {
        CHECK_FALSE(a.connection->closed_with.has_value());
        if (r.settle.count() > 0) {
            f.advance(r.settle);
            CHECK(a.connection->take().empty());
        }
        a.say({{"type", "ping"}});
        CHECK(a.connection->take() == std::vector<json>{pong});
    }
    if (!b) {
        CHECK(r.relayed.empty());  // a row relaying needs a partner
        return;
    }
    auto relayed = r.relayed;
    if (is_paired(r.state) && r.close != 0) relayed.push_back(partner_left);
    CHECK(b->connection->take() == with_seq(relayed, b_seq));
    if (is_paired(r.state) && r.close == 0) {
        // The pairing goes on, both ways.
        if (r.marker) expect_relayed(f, a, *b, offer_message(text_sdp(next_marker())));
        expect_relayed(f, *b, a, offer_message(text_sdp(next_marker())));
    }
    b->say({{"type", "ping"}});
    CHECK(b->connection->take() == std::vector<json>{pong});
}

template <class Limits>
void run_table(const std::vector<row>& rows, Limits set_limits) {
    for (const auto& r : rows) {
        session_fixture f;
        set_limits(f);
        run_row(f, r);
    }
}

}  // namespace

TEST_CASE("hostile grammar rows through a session: the parse error whatever the state",
          "[session][hostile]") {
    const auto rows = grammar_rows();
    CHECK(rows.size() >= 380);
    run_table(rows, text_table_limits);
}

TEST_CASE("hostile session rows: state table, trickle drops, resume, text mode, error budget",
          "[session][hostile]") {
    const auto rows = session_rows();
    CHECK(rows.size() >= 70);
    run_table(rows, text_table_limits);
}

TEST_CASE("hostile floods: message bucket, join bucket, caps and error budget",
          "[session][hostile]") {
    const auto rows = flood_rows();
    CHECK(rows.size() == 9);
    run_table(rows, flood_limits);
}
