// The relay scenario's run (relay_run.hpp): P pairs exchanging the
// signaling mix. The window opens when every pair is matched, so connecting
// and joining are never measured; the server's CPU is sampled at its two
// ends, and only messages received inside it count.

#include "relay_run.hpp"

#include "report.hpp"

#include <unistd.h>

#include <algorithm>

namespace onymous::bench {

namespace net = boost::asio;

namespace {

/// Messages allowed in flight per pair and direction in the open loop
/// before a send is skipped: the server would close a reader that far
/// behind anyway (max_outbound_bytes).
constexpr std::size_t max_backlog = 256;

}  // namespace

relay_run::relay_run(const options& opts)
    : opts_(opts),
      bodies_(make_mix_bodies(opts.sdp_bytes, false)),
      // Item i of the window is connection i: the first of pair i/2 when i
      // is even, its second when odd.
      launcher_(opts.pairs * 2, opts.concurrency == 0 ? 64 : opts.concurrency,
                [this](std::size_t i) {
                    auto& pair = *pairs_[i / 2];
                    (i % 2 == 0 ? pair.first : pair.second)->open();
                }),
      stop_timer_(ioc_),
      heartbeat_(ioc_),
      ticker_(ioc_, "relay", !opts.quiet, [this] { return progress_line(); }),
      cpu_(opts.server_pids),
      redis_cpu_(opts.redis_pid) {
    if (opts.tls) tls_ = std::make_unique<tls_client_context>();
    std::string stem(1, 'r');  // appended: see string_field() about -Wrestrict
    stem += std::to_string(::getpid());
    stem += 'x';
    for (std::size_t i = 0; i < opts.pairs; ++i) {
        auto pair = std::make_unique<relay_pair>();
        pair->index = i;
        pair->node = relay_nodes(opts, i);
        pair->tag = stem + std::to_string(i);
        pair->first = std::make_unique<relay_side>(*this, *pair, true);
        pair->second = std::make_unique<relay_side>(*this, *pair, false);
        pairs_.push_back(std::move(pair));
    }
}

void relay_run::run() {
    raise_descriptor_limit();
    ticker_.start();
    // Pairs whose other side failed never get matched: after this long the
    // window opens with the pairs that are ready.
    const auto setup = std::chrono::seconds(30) + std::chrono::milliseconds(20 * opts_.pairs);
    stop_timer_.expires_after(setup);
    stop_timer_.async_wait([this](const error_code& ec) {
        if (ec || measuring_ || closing_) return;
        errors_.add(std::to_string(pairs_.size() * 2 - settled_) +
                    " connections not matched within the setup time");
        start_window();
    });
    launcher_.fill();
    ioc_.run();
}

std::string relay_run::progress_line() const {
    if (!measuring_)
        return "setting up: " + std::to_string(settled_) + " of " +
               std::to_string(pairs_.size() * 2) + " connections matched or failed";
    const double elapsed = seconds_between(started_, steady::now());
    return with_separators(elapsed, 1) + " s: " + with_separators(double(messages_), 0) +
           " messages, " + with_separators(elapsed > 0 ? messages_ / elapsed : 0.0, 0) + "/s";
}

void relay_run::greeted(bool relay_only_policy) {
    relay_only_ = relay_only_ || relay_only_policy;
    launcher_.finished();
}

void relay_run::greeting_failed() { launcher_.finished(); }

void relay_run::settled(bool) {
    if (++settled_ == pairs_.size() * 2) start_window();
}

void relay_run::start_window() {
    if (relay_only_) bodies_ = make_mix_bodies(opts_.sdp_bytes, true);
    onymous_[0] = onymous_texts(bodies_, true);
    onymous_[1] = onymous_texts(bodies_, false);
    for (auto& pair : pairs_) {
        if (opts_.talk == dialect::peerjs) {
            // The first connection (id TAG"a") offers to the second (TAG"b").
            pair->own[0] = peerjs_texts(bodies_, true, pair->tag + "b", "mc_" + pair->tag);
            pair->own[1] = peerjs_texts(bodies_, false, pair->tag + "a", "mc_" + pair->tag);
            pair->texts[0] = &pair->own[0];
            pair->texts[1] = &pair->own[1];
        } else {
            pair->texts[0] = &onymous_[0];
            pair->texts[1] = &onymous_[1];
        }
    }
    measuring_ = true;
    cpu_.start();
    redis_cpu_.start();
    started_ = steady::now();
    const auto window =
        std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(opts_.seconds));
    const std::size_t live = static_cast<std::size_t>(
        std::count_if(pairs_.begin(), pairs_.end(), [](const auto& p) { return p->ready(); }));
    for (auto& pair : pairs_) {
        if (!pair->ready()) continue;
        ++running_pairs_;
        ++by_nodes_[pair->cross_node()].pairs;
        if (opts_.rate <= 0) {
            send_next(*pair);
        } else {
            // Each pair sends every live/rate seconds, the pairs staggered
            // evenly over one interval.
            const auto interval = std::chrono::duration_cast<steady::duration>(
                std::chrono::duration<double>(static_cast<double>(live) / opts_.rate));
            pace(*pair,
                 started_ +
                     interval * static_cast<long>(running_pairs_ - 1) / static_cast<long>(live),
                 interval);
        }
    }
    if (opts_.talk == dialect::peerjs && opts_.heartbeat > 0) beat();
    stop_timer_.expires_at(started_ + window);
    stop_timer_.async_wait([this](const error_code& ec) {
        if (!ec) stop_window();
    });
    if (running_pairs_ == 0) stop_window();
}

void relay_run::send_next(relay_pair& pair) {
    const std::size_t step = pair.step;
    pair.step = (step + 1) % mix_steps;
    const bool from_offerer = offerer_sends(step);
    auto& queue = pair.flying[from_offerer ? 0 : 1];
    if (queue.size() >= max_backlog) {
        ++backlog_skips_;
        return;
    }
    relay_side& sender = from_offerer ? pair.offerer() : pair.answerer();
    const std::string& text = pair.texts[from_offerer ? 0 : 1]->step[step];
    // The send time is taken just before the write starts (the connection
    // writes at once unless a message of its own is still being written).
    queue.push_back({steady::now(), step});
    sender.connection().send(text);
}

void relay_run::pace(relay_pair& pair, steady::time_point first, steady::duration interval) {
    if (!pair.pacer) pair.pacer = std::make_unique<net::steady_timer>(ioc_);
    // Absolute times: a late wake-up does not shift the later sends.
    pair.pacer->expires_at(first + interval * static_cast<long>(pair.paced_sends));
    pair.pacer->async_wait([this, &pair, first, interval](const error_code& ec) {
        if (ec || !measuring_ || pair.broken()) return;
        ++pair.paced_sends;
        send_next(pair);
        pace(pair, first, interval);
    });
}

void relay_run::beat() {
    heartbeat_.expires_after(std::chrono::milliseconds(static_cast<int>(opts_.heartbeat * 1000)));
    heartbeat_.async_wait([this](const error_code& ec) {
        if (ec || closing_) return;
        static constexpr std::string_view text = R"({"type":"HEARTBEAT"})";
        for (auto& pair : pairs_)
            if (!pair->broken()) {
                pair->first->connection().send(text);
                pair->second->connection().send(text);
            }
        beat();
    });
}

void relay_run::relayed(relay_side& side, relay_pair& pair, std::string_view text) {
    const auto now = steady::now();
    // The receiver of direction 0 is the answerer.
    auto& queue = pair.flying[side.offerer() ? 1 : 0];
    if (queue.empty())
        return errors_.add("a message nobody sent: " + std::string(message_type(text)));
    const relay_pair::in_flight sent = queue.front();
    queue.pop_front();
    const std::string_view type = message_type(text);
    const mix_kind kind = kind_of_step(sent.step);
    const bool peerjs = opts_.talk == dialect::peerjs;
    const std::string_view expected = kind == mix_kind::offer ? (peerjs ? "OFFER" : "offer")
                                      : kind == mix_kind::answer
                                          ? (peerjs ? "ANSWER" : "answer")
                                          : (peerjs ? "CANDIDATE" : "candidate");
    if (type != expected)
        errors_.add("expected " + std::string(expected) + ", got " + std::string(type));
    if (!measuring_) return;
    const auto ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent.sent).count());
    latency_.record(ns);
    node_class& by = by_nodes_[pair.cross_node()];
    by.latency.record(ns);
    ++by.messages;
    ++messages_;
    bytes_ += text.size();
    if (opts_.rate <= 0) send_next(pair);
}

void relay_run::side_closed(int close_code) {
    if (!closing_) {
        errors_.add("closed by the server during the run (close code " +
                    std::to_string(close_code) + ")");
        return;
    }
    if (all_closed()) ioc_.stop();
}

void relay_run::stop_window() {
    if (!measuring_) return;
    measuring_ = false;
    cpu_.stop();
    redis_cpu_.stop();
    window_seconds_ = seconds_between(started_, steady::now());
    close_all();
}

void relay_run::close_all() {
    closing_ = true;
    ticker_.stop();
    heartbeat_.cancel();
    for (auto& pair : pairs_) {
        if (pair->pacer) pair->pacer->cancel();
        pair->first->connection().close();
        pair->second->connection().close();
    }
    stop_timer_.expires_after(std::chrono::seconds(5));
    stop_timer_.async_wait([this](const error_code& ec) {
        if (!ec) ioc_.stop();  // whatever did not close by now is aborted with the run
    });
    if (all_closed()) ioc_.stop();
}

bool relay_run::all_closed() const {
    for (const auto& pair : pairs_)
        if (!pair->first->done() || !pair->second->done()) return false;
    return true;
}

}  // namespace onymous::bench
