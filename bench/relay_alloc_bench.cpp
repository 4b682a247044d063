// Heap allocations on the path of ONE relayed message, for a relayed ICE
// candidate and for an offer with a ~2.2 KB SDP.
//
// The path: from the sender session being handed the client's text (receive)
// until the receiver session's transport has been handed the final wire text
// (transport::send), the cross-thread hand-off included (posting to the receiver
// and running what was posted). Two sessions are paired through the real
// matcher and warmed up first, so one-time allocations are not counted; then
// each of N relays is counted in its own window.
//
// Counted: every operator new of this thread (all forms: plain, array,
// nothrow, aligned) between the start and the end of a window, with the bytes
// requested. Frees are counted too, as a check that the path keeps nothing.
// Not counted: the client's text (built before the window), the fake
// transport's own bookkeeping (its post queue is a ring of std::function slots
// made beforehand, and it keeps no wire text: it only records its size), and
// anything that calls malloc() directly (nothing on this path does). The
// closure's allocation inside std::function and the wire string itself are on
// the path and are counted.
//
// Cross-check without this program's counter: memcheck's "total heap usage"
// for N=2000 minus N=1000 (fixed costs cancel; 48 bytes a relay of that
// difference are this program's own per-relay result vectors). Under valgrind
// the figures this program prints are not meaningful: valgrind's own
// operator new takes over some of the calls.
//   valgrind --show-mismatched-frees=no build/bench/relay_alloc_bench 1000 candidate
//
// Run: build/bench/relay_alloc_bench [N, default 1000] [candidate|offer].
// Results: docs/performance.md.

#include <onymous/match/matcher.hpp>
#include <onymous/protocol/parse.hpp>
#include <onymous/protocol/relay_text.hpp>
#include <onymous/protocol/serialize.hpp>
#include <onymous/session/signaling_session.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

// --- Counting allocator --------------------------------------------------------

namespace alloc_count {

struct counts {
    std::uint64_t allocations = 0;
    std::uint64_t bytes = 0;
    std::uint64_t frees = 0;
};

// Constant-initialised and trivially destructible: usable from operator new
// at any point of the program's life.
thread_local bool counting = false;
thread_local counts current;

void* allocate(std::size_t n, std::size_t alignment) noexcept {
    if (counting) {
        ++current.allocations;
        current.bytes += n;
    }
    if (n == 0) n = 1;
    if (alignment <= alignof(std::max_align_t)) return std::malloc(n);
    void* p = nullptr;
    return posix_memalign(&p, alignment, n) == 0 ? p : nullptr;
}

void* allocate_or_throw(std::size_t n, std::size_t alignment) {
    if (void* p = allocate(n, alignment)) return p;
    throw std::bad_alloc();
}

void release(void* p) noexcept {
    if (p == nullptr) return;
    if (counting) ++current.frees;
    std::free(p);
}

/// Runs `f` in a counting window and returns what it allocated and freed.
template <class F>
counts measure(F&& f) {
    current = {};
    counting = true;
    f();
    counting = false;
    return current;
}

}  // namespace alloc_count

constexpr std::size_t plain = alignof(std::max_align_t);
void* operator new(std::size_t n) { return alloc_count::allocate_or_throw(n, plain); }
void* operator new[](std::size_t n) { return alloc_count::allocate_or_throw(n, plain); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    return alloc_count::allocate(n, plain);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    return alloc_count::allocate(n, plain);
}
void* operator new(std::size_t n, std::align_val_t a) {
    return alloc_count::allocate_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
    return alloc_count::allocate_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return alloc_count::allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return alloc_count::allocate(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { alloc_count::release(p); }
void operator delete[](void* p) noexcept { alloc_count::release(p); }
void operator delete(void* p, std::size_t) noexcept { alloc_count::release(p); }
void operator delete[](void* p, std::size_t) noexcept { alloc_count::release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { alloc_count::release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { alloc_count::release(p); }
void operator delete(void* p, std::align_val_t) noexcept { alloc_count::release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { alloc_count::release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { alloc_count::release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { alloc_count::release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    alloc_count::release(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    alloc_count::release(p);
}

// --- Adapter to the session API --------------------------------------------------
//
// Everything that knows the session API lives here: porting the benchmark to
// another API means rewriting this section only. The rest of the program uses
// relay_pair (pair, relay one client text, inspect what the receiver's
// transport got) and breakdown() (the same path replayed step by step: it
// mirrors today's signaling_session internals, so a port may return {} from
// it until the new internals are mirrored).

namespace adapter {

using namespace onymous;

/// A home whose posted functions wait in a fixed ring of std::function
/// slots until run_posted(): the sender's and the receiver's are two, so a
/// relay crosses "threads" as it does between two workers.
class ring_home final : public session::home {
public:
    bool running_in_this_thread() const override { return running_ == this; }
    void post(std::function<void()> fn) override {
        if (tail_ - head_ == ring_.size()) std::abort();  // a bench bug: never in the window
        ring_[tail_++ % ring_.size()] = std::move(fn);
    }
    std::unique_ptr<session::timer> make_timer() override { std::abort(); }  // no grace here

    template <class Fn>
    void on(Fn&& fn) {
        auto* before = std::exchange(running_, this);
        fn();
        running_ = before;
    }
    void run_posted() {
        on([this] {
            while (head_ != tail_) {
                auto fn = std::move(ring_[head_++ % ring_.size()]);
                fn();
            }
        });
    }
    void drop_posted() {
        while (head_ != tail_) ring_[head_++ % ring_.size()] = nullptr;
    }

private:
    static inline ring_home* running_ = nullptr;
    std::array<std::function<void()>, 64> ring_;
    std::uint64_t head_ = 0;
    std::uint64_t tail_ = 0;
};

/// A connection that allocates nothing per message: wire texts are only
/// measured, except the one asked for with keep_next().
class fake_transport final : public session::transport {
public:
    void send(session::frame text) override {
        ++texts_sent_;
        last_text_bytes_ = text->size();
        if (keep_) *std::exchange(keep_, nullptr) = *text;
    }
    void close(protocol::close_code) override { closed_ = true; }
    void close_now(protocol::close_code) override { closed_ = true; }
    void attach(std::shared_ptr<session::signaling_session>) override {}

    void keep_next(std::string* out) { keep_ = out; }
    std::uint64_t texts_sent() const { return texts_sent_; }
    std::size_t last_text_bytes() const { return last_text_bytes_; }
    bool was_closed() const { return closed_; }

private:
    std::string* keep_ = nullptr;
    std::uint64_t texts_sent_ = 0;
    std::size_t last_text_bytes_ = 0;
    bool closed_ = false;
};

/// Two sessions on two homes, paired through the real matcher; relays go
/// sender -> receiver.
class relay_pair {
public:
    relay_pair()
        : matcher_([] {
              match::options o;
              o.seed = 1;
              return o;
          }()),
          context_(session::session_settings{}, matcher_) {
        sender_home_.on([&] { sender_->start(sender_link_, {}); });
        receiver_home_.on([&] { receiver_->start(receiver_link_, {}); });
        sender_home_.on(
            [&] { sender_->receive(sender_link_, R"({"type":"join","mode":"video"})"); });
        receiver_home_.on(
            [&] { receiver_->receive(receiver_link_, R"({"type":"join","mode":"video"})"); });
        sender_home_.run_posted();
        receiver_home_.run_posted();
    }
    ~relay_pair() {
        sender_home_.on([&] { sender_->end_now(); });
        receiver_home_.on([&] { receiver_->end_now(); });
        // Posted functions hold their session: drop them to break the cycle.
        sender_home_.drop_posted();
        receiver_home_.drop_posted();
    }
    relay_pair(const relay_pair&) = delete;
    relay_pair& operator=(const relay_pair&) = delete;

    bool paired() const {
        return sender_->current_state() == session::state::paired &&
               receiver_->current_state() == session::state::paired;
    }
    /// The measured path: the sender's client text in, until the receiver's
    /// transport has been handed the wire text.
    void relay(std::string_view client_text) {
        sender_home_.on([&] { sender_->receive(sender_link_, client_text); });
        receiver_home_.run_posted();
    }
    /// The wire text the next relay() hands to the receiver's transport.
    void keep_next_wire_text(std::string* out) { receiver_link_->keep_next(out); }
    std::uint64_t texts_to_sender() const { return sender_link_->texts_sent(); }
    std::uint64_t texts_to_receiver() const { return receiver_link_->texts_sent(); }
    std::size_t last_wire_bytes() const { return receiver_link_->last_text_bytes(); }
    bool any_closed() const { return sender_link_->was_closed() || receiver_link_->was_closed(); }

private:
    match::matcher matcher_;
    session::session_context context_;
    ring_home sender_home_;
    ring_home receiver_home_;
    std::shared_ptr<fake_transport> sender_link_ = std::make_shared<fake_transport>();
    std::shared_ptr<fake_transport> receiver_link_ = std::make_shared<fake_transport>();
    std::shared_ptr<session::signaling_session> sender_ =
        std::make_shared<session::signaling_session>(context_, sender_home_);
    std::shared_ptr<session::signaling_session> receiver_ =
        std::make_shared<session::signaling_session>(context_, receiver_home_);
};

struct step {
    const char* name;
    alloc_count::counts counts;
    bool part_of_previous = false;  ///< an "of which" row: not added to the sum
};

/// The steps of one relay, replayed one by one, each in its own window:
/// parse, relay_text (the one serialisation), the post to the receiver's
/// home, append_seq and the shared frame. `wire` gets the resulting text.
std::vector<step> breakdown(std::string_view client_text, std::uint64_t seq, std::string& wire) {
    using alloc_count::measure;
    const session::session_settings settings;
    const protocol::parse_limits limits{settings.limits.max_sdp_bytes, settings.max_interests};
    std::vector<step> steps;
    steps.reserve(16);

    std::optional<protocol::parse_result> parsed;
    steps.push_back({"parse(): DOM, checks, validated message",
                     measure([&] { parsed.emplace(protocol::parse(client_text, limits)); })});
    nlohmann::json dom;
    steps.push_back({"of which: build the nlohmann::json DOM", measure([&] {
                         dom = nlohmann::json::parse(client_text.begin(), client_text.end(),
                                                     nullptr, false);
                     }),
                     true});
    steps.push_back({"of which: destroy that DOM", measure([&] { dom = nullptr; }), true});
    auto& message = std::get<protocol::client_message>(*parsed);

    std::string text;
    if (auto* sdp = std::get_if<protocol::sdp_message>(&message)) {
        steps.push_back(
            {"check_sdp_mode()", measure([&] {
                 if (!protocol::check_sdp_mode(sdp->sdp, protocol::chat_mode::video).empty())
                     std::abort();
             })});
        steps.push_back({"relay_text(): the wire text without seq",
                         measure([&] { text = protocol::relay_text(*sdp); })});
    } else {
        auto& candidate = std::get<protocol::candidate_message>(message);
        steps.push_back({"relay_text(): the wire text without seq",
                         measure([&] { text = protocol::relay_text(candidate); })});
    }

    // The closure signaling_session::on_home() posts for relay(): the
    // session, the pair id and the text, wrapped once more with `self`.
    static std::string received;
    std::function<void()> posted;
    steps.push_back({"post: std::function of the relay closure", measure([&] {
                         posted = [self = std::shared_ptr<session::signaling_session>(),
                                   fn = [p = static_cast<void*>(nullptr),
                                         pair_id = std::uint64_t{1},
                                         t = std::move(text)]() mutable {
                                       (void)p;
                                       (void)pair_id;
                                       received = std::move(t);
                                   }]() mutable {
                             (void)self;
                             fn();
                         };
                     })});
    steps.push_back({"run the posted closure", measure([&] { posted(); })});
    steps.push_back({"append_seq()", measure([&] { protocol::append_seq(received, seq); })});
    session::frame frame;
    memory::budget budget(1 << 30);
    const auto account = std::make_shared<memory::account>(budget);
    steps.push_back({"the shared, charged frame (history and write queue)",
                     measure([&] { frame = memory::charged_text(account, std::move(received)); })});
    wire = *frame;
    steps.push_back({"destroy closure, message, frame", measure([&] {
                         posted = nullptr;
                         parsed.reset();
                         frame.reset();
                     })});
    return steps;
}

}  // namespace adapter

// --- Workloads -----------------------------------------------------------------

namespace {

constexpr std::string_view candidate_text =
    R"({"type":"candidate","candidate":{"candidate":"candidate:842163049 1 udp 1677729535 )"
    R"(203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sK2x )"
    R"(network-cost 999","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"sK2x"}})";

/// A Chrome-like offer: BUNDLE of audio (Opus and the usual fallbacks), video
/// (VP8 + RTX) and a data channel, with trickle ICE. 64 lines, 2194 bytes.
constexpr std::string_view offer_sdp =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1 2\r\n"
    "a=msid-semantic: WMS 7d3c1a52-9e4b-4f0a-8c6d-2b5e9f1a3c7e\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 9 0 8 110\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:sK2x\r\n"
    "a=ice-pwd:Hq8d1rT0pWmYzX3vN6bL9cQe\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 3A:7F:19:C2:5B:E0:44:9D:81:6A:F3:2C:0E:B7:58:D4:A1:96:3F:7C:E2:05:"
    "BB:48:19:6D:F0:C3:2A:8E:75:D1\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:7d3c1a52-9e4b-4f0a-8c6d-2b5e9f1a3c7e 0b6f2e81-4c3d-4a9b-b1e7-5f8a2d6c9e30\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=ssrc:1870536218 cname:Xq3vT9bK2mP7wL4d\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:sK2x\r\n"
    "a=ice-pwd:Hq8d1rT0pWmYzX3vN6bL9cQe\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 3A:7F:19:C2:5B:E0:44:9D:81:6A:F3:2C:0E:B7:58:D4:A1:96:3F:7C:E2:05:"
    "BB:48:19:6D:F0:C3:2A:8E:75:D1\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:7d3c1a52-9e4b-4f0a-8c6d-2b5e9f1a3c7e 9a4e7c13-2f6b-4d8e-a5c1-3b7d9f2e6a04\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:sK2x\r\n"
    "a=ice-pwd:Hq8d1rT0pWmYzX3vN6bL9cQe\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 3A:7F:19:C2:5B:E0:44:9D:81:6A:F3:2C:0E:B7:58:D4:A1:96:3F:7C:E2:05:"
    "BB:48:19:6D:F0:C3:2A:8E:75:D1\r\n"
    "a=setup:actpass\r\n"
    "a=mid:2\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

constexpr int warm_up_relays = 16;

struct summary {
    std::uint64_t min = 0, median = 0, max = 0;
    double mean = 0;
};

summary summarise(std::vector<std::uint64_t> v) {
    std::sort(v.begin(), v.end());
    double sum = 0;
    for (auto x : v) sum += static_cast<double>(x);
    return {v.front(), v[v.size() / 2], v.back(), sum / static_cast<double>(v.size())};
}

/// The wire text without its trailing `,"seq":N}`.
std::string_view without_seq(std::string_view wire) {
    return wire.substr(0, wire.rfind(R"(,"seq":)"));
}

/// Measures one case; returns false when the relay did not behave.
bool run_case(const char* name, std::string_view client_text, int n) {
    adapter::relay_pair pair;
    if (!pair.paired()) {
        std::printf("%s: the sessions did not pair\n", name);
        return false;
    }
    for (int i = 0; i < warm_up_relays; ++i) pair.relay(client_text);
    std::string expected;
    pair.keep_next_wire_text(&expected);
    pair.relay(client_text);
    const auto to_sender = pair.texts_to_sender();
    const auto to_receiver = pair.texts_to_receiver();

    std::vector<std::uint64_t> allocations, bytes, frees;
    for (auto* v : {&allocations, &bytes, &frees}) v->reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const auto c = alloc_count::measure([&] { pair.relay(client_text); });
        allocations.push_back(c.allocations);
        bytes.push_back(c.bytes);
        frees.push_back(c.frees);
    }
    const bool delivered = pair.texts_to_receiver() == to_receiver + static_cast<std::uint64_t>(n);
    if (!delivered || pair.texts_to_sender() != to_sender || pair.any_closed() ||
        pair.last_wire_bytes() < expected.size()) {
        std::printf("%s: a relay was refused or lost\n", name);
        return false;
    }

    const auto a = summarise(allocations), b = summarise(bytes), f = summarise(frees);
    std::printf("%s: client text %zu B, wire text %zu B, N=%d after %d warm-up relays\n", name,
                client_text.size(), expected.size(), n, warm_up_relays);
    std::printf("  per relay     median   min   max      mean\n");
    std::printf("  allocations %8llu %5llu %5llu %9.2f\n", (unsigned long long)a.median,
                (unsigned long long)a.min, (unsigned long long)a.max, a.mean);
    std::printf("  bytes       %8llu %5llu %5llu %9.2f\n", (unsigned long long)b.median,
                (unsigned long long)b.min, (unsigned long long)b.max, b.mean);
    std::printf("  frees       %8llu %5llu %5llu %9.2f\n", (unsigned long long)f.median,
                (unsigned long long)f.min, (unsigned long long)f.max, f.mean);

    std::string wire;
    const auto steps = adapter::breakdown(client_text, 500, wire);
    if (steps.empty()) return true;
    alloc_count::counts sum;
    std::printf("  breakdown (the same steps replayed one by one): allocations, bytes, frees\n");
    for (const auto& s : steps) {
        std::printf("    %s%-*s %4llu %7llu %4llu\n", s.part_of_previous ? "  " : "",
                    s.part_of_previous ? 42 : 44, s.name, (unsigned long long)s.counts.allocations,
                    (unsigned long long)s.counts.bytes, (unsigned long long)s.counts.frees);
        if (s.part_of_previous) continue;
        sum.allocations += s.counts.allocations;
        sum.bytes += s.counts.bytes;
        sum.frees += s.counts.frees;
    }
    const bool same_text = without_seq(wire) == without_seq(expected);
    const bool sums = sum.allocations == a.median && sum.bytes == b.median && sum.frees == f.median;
    std::printf("    %-44s %4llu %7llu %4llu  %s\n", "sum", (unsigned long long)sum.allocations,
                (unsigned long long)sum.bytes, (unsigned long long)sum.frees,
                sums && same_text ? "(= the measured path, same wire text)"
                                  : "(DIFFERS from the measured path)");
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
    const std::string_view only = argc > 2 ? argv[2] : "";
    if (n <= 0 || argc > 3 || (only != "" && only != "candidate" && only != "offer")) {
        std::fprintf(stderr,
                     "usage: relay_alloc_bench [relays per case, default 1000] "
                     "[candidate|offer]\n");
        return 2;
    }
    const std::string offer_text = nlohmann::json{{"type", "offer"}, {"sdp", offer_sdp}}.dump();
    std::printf(
        "heap allocations per relayed message, sender receive -> receiver transport::send\n");
    bool ok = true;
    if (only != "offer") {
        std::printf("\n");
        ok = run_case("candidate", candidate_text, n) && ok;
    }
    if (only != "candidate") {
        std::printf("\n");
        char name[64];
        std::snprintf(name, sizeof name, "offer (SDP %zu B)", offer_sdp.size());
        ok = run_case(name, offer_text, n) && ok;
    }
    return ok ? 0 : 1;
}
