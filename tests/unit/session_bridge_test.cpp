// A resume that reaches a node other than the session's holder (cluster
// mode; session/elsewhere.hpp), on the sessions alone: two fixtures stand
// for two nodes, and a loopback `elsewhere` for the cluster between them,
// holding the holder's frames until the take-over is answered, as the
// cluster node does. The requester's connection then carries the holder's
// session: resumed and the replay, relays both ways, its close, and the
// holder's closes (a takeover elsewhere: 4000).

#include "session_support.hpp"

using namespace onymous;
using namespace onymous::test;
using namespace std::chrono_literals;

namespace {

/// The connection the holder's session is lent: hands everything to the
/// requester's session, once the take-over has been answered.
class loop_transport final : public session::transport {
public:
    explicit loop_transport(std::weak_ptr<session::signaling_session> requester)
        : requester_(std::move(requester)) {}
    void send(session::frame text) override {
        pass([t = *text](auto& r) { r.bridge_frame(t); });
    }
    void close(protocol::close_code code) override {
        pass([code](auto& r) { r.bridge_close(code); });
    }
    void close_now(protocol::close_code code) override { close(code); }
    void attach(std::shared_ptr<session::signaling_session>) override {}

    void answered() {
        answered_ = true;
        for (auto& fn : held_) fn();
        held_.clear();
    }

private:
    template <class Fn>
    void pass(Fn fn) {
        auto call = [weak = requester_, fn] {
            if (auto r = weak.lock()) fn(*r);
        };
        if (answered_)
            call();
        else
            held_.push_back(call);
    }
    std::weak_ptr<session::signaling_session> requester_;
    bool answered_ = false;
    std::vector<std::function<void()>> held_;
};

/// The cluster, seen from the requester's node: the holder's node is `holder`.
class loopback_elsewhere final : public session::elsewhere {
public:
    explicit loopback_elsewhere(session_fixture& holder) : holder_(holder) {}

    std::string resume(std::string token, std::uint64_t last_seq,
                       std::optional<std::chrono::system_clock::time_point> expiry,
                       std::weak_ptr<session::signaling_session> requester) override {
        ++asked;
        auto older = holder_.context().tokens.take(token);
        if (!older) {
            if (auto r = requester.lock()) r->bridge_answered(false);
            return "none";
        }
        held = older;
        lent = std::make_shared<loop_transport>(requester);
        older->take_over_remotely(lent, last_seq, expiry, [requester, t = lent](bool ok) {
            if (auto r = requester.lock()) r->bridge_answered(ok);
            if (ok) t->answered();
        });
        return "bridge-1";
    }
    void client_text(const std::string& bridge, std::string text) override {
        REQUIRE(bridge == "bridge-1");
        held->receive(lent, text);
    }
    void client_closed(const std::string& bridge, bool clean) override {
        REQUIRE(bridge == "bridge-1");
        closes.push_back(clean);
        held->transport_closed(lent, clean);
    }

    int asked = 0;
    std::vector<bool> closes;
    std::shared_ptr<session::signaling_session> held;
    std::shared_ptr<loop_transport> lent;

private:
    session_fixture& holder_;
};

/// Two nodes: the holder (`a`'s sessions) and the requester.
struct two_nodes {
    // In this order: the requester's sessions, ended first, still tell the
    // holder through `others`.
    session_fixture holder;
    loopback_elsewhere others{holder};
    session_fixture requester;
    two_nodes() { requester.context().others = &others; }
    void run_all() {
        for (int round = 0; round < 8; ++round) {
            holder.run_all();
            requester.run_all();
        }
    }
};

}  // namespace

TEST_CASE("a resume on another node is carried over a bridge: the replay, relays both ways",
          "[session][bridge]") {
    two_nodes n;
    auto [a, b] = paired(n.holder, n.holder.home1, n.holder.home2);
    const auto token = a.token();
    a.drop();
    b.say(text_offer);  // seq 3 for a, held in its grace
    n.run_all();

    auto c = n.requester.connect();
    c.say(resume_message(token, 2));
    n.run_all();
    REQUIRE(n.others.asked == 1);
    const auto got = c.connection->take();
    REQUIRE(got.size() == 2);
    CHECK(got[0].at("type") == "resumed");
    CHECK(got[0].at("state") == "paired");
    auto offer_at_3 = text_offer;
    offer_at_3["seq"] = 3;
    CHECK(got[1] == offer_at_3);
    // The requester's own hello token is void: the session is the holder's.
    CHECK(n.requester.context().tokens.size() == 0);
    CHECK(n.holder.context().counters.in_grace == 0);

    c.say({{"type", "answer"}, {"sdp", text_offer.at("sdp")}});
    n.run_all();
    REQUIRE(b.connection->take_types() == std::vector<std::string>{"answer"});
    b.say({{"type", "candidate"}, {"candidate", nullptr}});
    n.run_all();
    const auto relayed = c.connection->take();
    REQUIRE(relayed.size() == 1);
    CHECK(relayed[0].at("seq") == 4);

    // A close frame on the requester ends the session at the holder.
    c.close();
    n.run_all();
    CHECK(n.others.closes == std::vector<bool>{true});
    CHECK(b.connection->take_types() == std::vector<std::string>{"partner_left"});
}

TEST_CASE("a token no node holds: resume_failed, and the connection goes on fresh",
          "[session][bridge]") {
    two_nodes n;
    auto c = n.requester.connect();
    c.say(resume_message("AAAAAAAAAAAAAAAAAAAAAA", 0));
    n.run_all();
    REQUIRE(n.others.asked == 1);
    const auto got = c.connection->take();
    REQUIRE(got.size() == 1);
    CHECK(got[0].at("code") == "resume_failed");
    c.say({{"type", "join"}, {"mode", "text"}});
    n.run_all();
    CHECK(c.connection->take_types() == std::vector<std::string>{"waiting"});
}

TEST_CASE("what the client sends before the holder answers crosses after it, in order",
          "[session][bridge]") {
    two_nodes n;
    auto [a, b] = paired(n.holder, n.holder.home1, n.holder.home2);
    const auto token = a.token();
    a.drop();
    n.run_all();
    auto c = n.requester.connect();
    // Not run between: the resume and the offer are read in one batch.
    c.say(resume_message(token, 2));
    c.say(text_offer);
    n.run_all();
    CHECK(b.connection->take_types() == std::vector<std::string>{"offer"});
}

TEST_CASE("a takeover at the holder closes the bridged connection with 4000", "[session][bridge]") {
    two_nodes n;
    auto [a, b] = paired(n.holder, n.holder.home1, n.holder.home2);
    a.drop();
    n.run_all();
    auto c = n.requester.connect();
    c.say(resume_message(a.token(), 2));
    n.run_all();
    const auto token2 = c.connection->take().at(0).at("resume").get<std::string>();

    auto d = n.holder.connect();
    d.say(resume_message(token2, 2));
    n.run_all();
    CHECK(d.connection->take_types() == std::vector<std::string>{"resumed"});
    CHECK(c.connection->closed_with == protocol::close_code::taken_over);
}

TEST_CASE(
    "a requester that drains closes the bridged connection with 1001; the holder's "
    "session waits out its grace",
    "[session][bridge]") {
    two_nodes n;
    auto [a, b] = paired(n.holder, n.holder.home1, n.holder.home2);
    a.drop();
    n.run_all();
    auto c = n.requester.connect();
    c.say(resume_message(a.token(), 2));
    n.run_all();
    c.connection->take();

    n.requester.home1.on([&] { c.session->drain(); });
    n.run_all();
    CHECK(c.connection->closed_with == protocol::close_code::going_away);
    CHECK(c.connection->take().empty());  // no `draining`: the session is not the one going
    CHECK(n.others.closes == std::vector<bool>{false});
    CHECK(n.holder.context().counters.in_grace == 1);
    CHECK(b.connection->take().empty());
}
