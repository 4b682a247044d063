#pragma once
// Sessions without sockets or threads: homes whose posted work waits in a
// queue until the test runs it (so the test chooses the interleavings that
// workers would produce), timers on a manual clock, and a transport that
// records what it was given.

#include <onymous/match/matcher.hpp>
#include <onymous/session/signaling_session.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace onymous::test {

using nlohmann::json;
using session::clock;

/// The home whose thread the test is "on" at the moment.
inline class fake_home* running_home = nullptr;

class fake_home final : public session::home {
public:
    explicit fake_home(clock::time_point& now) : now_(now) {}

    bool running_in_this_thread() const override { return running_home == this; }
    void post(std::function<void()> fn) override { queue.push_back(std::move(fn)); }
    std::unique_ptr<session::timer> make_timer() override;

    /// Runs `fn` as if on this home's thread.
    template <class Fn>
    void on(Fn&& fn) {
        auto* before = std::exchange(running_home, this);
        fn();
        running_home = before;
    }
    /// Runs everything posted here, including what that posts.
    void run_all() {
        on([this] {
            while (!queue.empty()) {
                auto fn = std::move(queue.front());
                queue.pop_front();
                fn();
            }
        });
    }
    /// Fires the timers due at the current time.
    void fire_due_timers();

    std::deque<std::function<void()>> queue;

    struct pending_timer {
        clock::time_point at;
        std::function<void()> fn;
    };
    std::vector<std::shared_ptr<pending_timer>> timers;
    clock::time_point& now_;
};

class fake_timer final : public session::timer {
public:
    explicit fake_timer(fake_home& h) : home_(h) {}
    ~fake_timer() override { cancel(); }
    void start(std::chrono::milliseconds after, std::function<void()> fn) override {
        cancel();
        pending_ = std::make_shared<fake_home::pending_timer>(
            fake_home::pending_timer{home_.now_ + after, std::move(fn)});
        home_.timers.push_back(pending_);
    }
    void cancel() override {
        if (pending_) pending_->fn = nullptr;
        pending_.reset();
    }

private:
    fake_home& home_;
    std::shared_ptr<fake_home::pending_timer> pending_;
};

inline std::unique_ptr<session::timer> fake_home::make_timer() {
    return std::make_unique<fake_timer>(*this);
}

inline void fake_home::fire_due_timers() {
    on([this] {
        auto due = std::move(timers);
        timers.clear();
        for (auto& t : due) {
            if (!t->fn) continue;
            if (t->at > now_) {
                timers.push_back(t);
                continue;
            }
            auto fn = std::move(t->fn);
            t->fn = nullptr;
            fn();
        }
    });
}

/// A connection as the session sees it: what it was sent, how it was closed.
class fake_transport final : public session::transport {
public:
    void send(session::frame text) override {
        if (fail_next_send) {
            fail_next_send = false;
            throw std::bad_alloc();
        }
        frames.push_back(json::parse(*text));
    }
    void close(protocol::close_code code) override {
        if (!closed_with) closed_with = code;
    }
    void close_now(protocol::close_code code) override {
        if (!closed_with) closed_with = code;
        closed_at_once = true;
    }
    void attach(std::shared_ptr<session::signaling_session> s) override { attached = std::move(s); }

    /// The types sent since the last call, in order.
    std::vector<std::string> take_types() {
        std::vector<std::string> types;
        for (std::size_t i = taken_; i < frames.size(); ++i) types.push_back(frames[i].at("type"));
        taken_ = frames.size();
        return types;
    }
    /// The messages sent since the last take.
    std::vector<json> take() {
        std::vector<json> out(frames.begin() + static_cast<std::ptrdiff_t>(taken_), frames.end());
        taken_ = frames.size();
        return out;
    }

    std::vector<json> frames;  ///< hello included
    std::optional<protocol::close_code> closed_with;
    bool closed_at_once = false;
    std::shared_ptr<session::signaling_session> attached;
    bool fail_next_send = false;  ///< the next send() throws, as an allocation may

private:
    std::size_t taken_ = 1;  ///< hello is not returned by take()
};

/// A client: one connection, the session it started with, and the home.
struct client {
    fake_home* home;
    std::shared_ptr<fake_transport> connection;
    std::shared_ptr<session::signaling_session> session;  ///< the one it started with

    /// Where the connection delivers: its first session, or the one a
    /// resume attached it to.
    std::shared_ptr<session::signaling_session> current() const {
        return connection->attached ? connection->attached : session;
    }
    void say(const json& message) { say_text(message.dump()); }
    void say_text(const std::string& text) {
        home->on([&] { current()->receive(connection, text); });
    }
    /// The connection drops without a close frame, handing the session its
    /// `place` in the connection limits, if the test gives one.
    void drop(std::shared_ptr<session::place> place = nullptr) {
        home->on([&] { current()->transport_closed(connection, false, std::move(place)); });
    }
    /// The client sends a close frame.
    void close() {
        home->on([&] { current()->transport_closed(connection, true); });
    }
    std::string token() const { return connection->frames.at(0).at("resume"); }
    std::uint64_t last_seq() const {
        std::uint64_t seq = 0;
        for (const auto& f : connection->frames)
            if (f.contains("seq")) seq = f["seq"];
        return seq;
    }
};

struct session_fixture {
    clock::time_point now{};
    /// Unix time for TURN credentials; advance() moves it with `now`.
    std::chrono::system_clock::time_point wall{std::chrono::seconds(1700000000)};
    session::session_settings settings = [this] {
        session::session_settings s;
        s.now = [this] { return now; };
        s.wall_now = [this] { return wall; };
        s.limits.resume_grace = std::chrono::milliseconds(10000);
        return s;
    }();
    match::matcher matcher{[] {
        match::options o;
        o.seed = 42;
        return o;
    }()};
    std::optional<session::session_context> ctx;
    fake_home home1{now};
    fake_home home2{now};
    std::vector<client> clients;

    session::session_context& context() {
        if (!ctx) ctx.emplace(settings, matcher);
        return *ctx;
    }

    client connect(fake_home& h) {
        client c{&h, std::make_shared<fake_transport>(),
                 std::make_shared<session::signaling_session>(context(), h)};
        h.on([&] { c.session->start(c.connection); });
        clients.push_back(c);
        return c;
    }
    client connect() { return connect(home1); }

    void run_all() {
        for (int round = 0; round < 8 && (!home1.queue.empty() || !home2.queue.empty()); ++round) {
            home1.run_all();
            home2.run_all();
        }
    }
    void advance(std::chrono::milliseconds by) {
        now += by;
        wall += by;
        home1.fire_due_timers();
        home2.fire_due_timers();
        run_all();
    }

    ~session_fixture() {
        // Every session ends, so the matcher is left with no member; what is
        // still queued holds sessions and is dropped.
        for (auto& c : clients) c.session->end_now();
        for (auto* h : {&home1, &home2}) {
            for (auto& [raw, weak] : h->sessions())
                if (auto s = weak.lock()) s->end_now();
            h->queue.clear();
            h->timers.clear();
        }
    }
};

/// Pairs two fresh clients in text mode and clears what they were sent.
inline std::pair<client, client> paired(session_fixture& f, fake_home& ha, fake_home& hb) {
    auto a = f.connect(ha);
    auto b = f.connect(hb);
    a.say({{"type", "join"}, {"mode", "text"}});
    b.say({{"type", "join"}, {"mode", "text"}});
    f.run_all();
    REQUIRE(a.connection->take_types() == std::vector<std::string>{"waiting", "matched"});
    REQUIRE(b.connection->take_types() == std::vector<std::string>{"waiting", "matched"});
    return {a, b};
}

inline json resume_message(const std::string& token, std::uint64_t last_seq) {
    return {{"type", "resume"}, {"token", token}, {"last_seq", last_seq}};
}

inline const json text_offer = {{"type", "offer"},
                                {"sdp",
                                 "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=application 9 "
                                 "UDP/DTLS/SCTP webrtc-datachannel\r\n"}};

}  // namespace onymous::test
