// The per-connection state machine without sockets: a fake transport whose
// posted events wait in a queue until the test delivers them, so the test
// chooses the interleavings that threads would produce.

#include <onymous/match/matcher.hpp>
#include <onymous/session/signaling_session.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <functional>
#include <memory>

using namespace onymous;
using nlohmann::json;

namespace {

class fake_session final : public session::signaling_session {
public:
    using signaling_session::signaling_session;

    std::vector<json> sent;  ///< everything after hello
    std::optional<protocol::close_code> closed;
    std::deque<std::function<void()>> inbox;  ///< posted, not yet run

    void deliver_all() {
        while (!inbox.empty()) {
            auto fn = std::move(inbox.front());
            inbox.pop_front();
            fn();
        }
    }
    void say(const json& message) { on_text(message.dump()); }
    /// The types sent since the last call, in order.
    std::vector<std::string> take_types() {
        std::vector<std::string> types;
        for (auto& m : sent) types.push_back(m.at("type"));
        sent.clear();
        return types;
    }

protected:
    void send_text(std::string text) override {
        auto message = json::parse(text);
        if (message["type"] != "hello") sent.push_back(std::move(message));
    }
    void close_with(protocol::close_code code) override { closed = code; }
    void post_to_self(std::function<void()> fn) override { inbox.push_back(std::move(fn)); }
};

struct fixture {
    session::session_settings settings;
    match::matcher matcher{[] {
        match::options o;
        o.seed = 42;
        return o;
    }()};

    std::shared_ptr<fake_session> connect() {
        auto s = std::make_shared<fake_session>(settings, matcher);
        s->start("token", {});
        sessions.push_back(s);
        return s;
    }
    ~fixture() {
        for (auto& s : sessions) s->on_transport_closed(true);
        // Undelivered events hold their session (an io_context would own
        // them; here the session's own inbox does): drop them.
        for (auto& s : sessions) s->inbox.clear();
    }
    std::vector<std::shared_ptr<fake_session>> sessions;
};

const json offer = {{"type", "offer"}, {"sdp", "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\n"}};

}  // namespace

TEST_CASE("a relay that overtakes the partner's matched is held until it arrives", "[session]") {
    fixture f;
    auto a = f.connect();
    auto b = f.connect();
    a->say({{"type", "join"}});
    b->say({{"type", "join"}});
    // The matcher posted matched to both; A hears first and sends at once,
    // before B has run its own matched.
    a->deliver_all();
    REQUIRE(a->take_types() == std::vector<std::string>{"waiting", "matched"});
    a->say(offer);
    REQUIRE(b->inbox.size() == 2);  // matched, then the relayed offer
    std::swap(b->inbox.front(), b->inbox.back());  // the offer overtakes
    b->deliver_all();
    REQUIRE(b->take_types() == std::vector<std::string>{"waiting", "matched", "offer"});
}

TEST_CASE("a matched overtaken by the session's own leave is discarded", "[session]") {
    fixture f;
    auto a = f.connect();
    auto b = f.connect();
    a->say({{"type", "join"}});
    b->say({{"type", "join"}});
    a->deliver_all();
    a->say(offer);
    b->say({{"type", "leave"}});  // sent before B saw matched
    b->deliver_all();
    REQUIRE(b->take_types() == std::vector<std::string>{"waiting", "left"});
    a->deliver_all();
    REQUIRE(a->take_types() == std::vector<std::string>{"waiting", "matched", "partner_left"});
}

TEST_CASE("nothing of an ended pairing reaches the next partner", "[session]") {
    fixture f;
    auto a = f.connect();
    auto b = f.connect();
    a->say({{"type", "join"}});
    b->say({{"type", "join"}});
    a->deliver_all();
    b->deliver_all();
    a->take_types();
    b->take_types();
    // A's offer is in flight to B when B moves on and is paired with C.
    a->say(offer);
    auto in_flight = std::move(b->inbox);
    b->inbox.clear();
    b->say({{"type", "next"}});
    auto c = f.connect();
    c->say({{"type", "join"}});
    b->deliver_all();
    c->deliver_all();
    for (auto& fn : in_flight) fn();
    REQUIRE(b->take_types() == std::vector<std::string>{"waiting", "matched"});
    REQUIRE(c->take_types() == std::vector<std::string>{"waiting", "matched"});
}

TEST_CASE("seq counts every sequenced message from 1", "[session]") {
    fixture f;
    auto a = f.connect();
    a->say({{"type", "ping"}});
    a->say({{"type", "join"}});
    a->say({{"type", "leave"}});
    a->say({{"type", "bogus"}});
    REQUIRE(a->sent.size() == 4);
    CHECK(a->sent[0] == json{{"type", "pong"}});
    CHECK(a->sent[1] == json{{"type", "waiting"}, {"seq", 1}});
    CHECK(a->sent[2] == json{{"type", "left"}, {"seq", 2}});
    CHECK(a->sent[3].at("code") == "unknown_type");
    CHECK_FALSE(a->sent[3].contains("seq"));
}

TEST_CASE("the error budget closes with 1008 when spent", "[session]") {
    fixture f;
    f.settings.max_errors = 3;
    auto a = f.connect();
    a->on_text("{");
    a->on_text("[]");
    CHECK_FALSE(a->closed);
    a->on_text("{\"type\":\"offer\"}");
    REQUIRE(a->closed == protocol::close_code::policy);
    REQUIRE(a->take_types() == std::vector<std::string>{"error", "error", "error"});
}
