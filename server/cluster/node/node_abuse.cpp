// The abuse counters every node shares (cluster/abuse_sharing.hpp): what
// this node's controls count goes to every node as one E message per
// gathering, reports also to a log in Redis for nodes that start later, and
// the nodes hash addresses under one key kept in Redis.
//
// Nothing here is logged: the events are hashes of addresses, and even those
// say who reported whom to anyone holding the day's key.

#include "node_impl.hpp"

#include <onymous/abuse/address_hasher.hpp>
#include <onymous/abuse/controls.hpp>

namespace onymous::cluster {

namespace {

/// What a node gathers before it publishes: a few ms add nothing to a
/// skip's or a report's effect, and a Next storm costs one PUBLISH per
/// gathering instead of one per `next`.
constexpr milliseconds abuse_gathering{20};
/// The address key outlives a day and a night of a cluster with no node.
constexpr std::int64_t address_key_ttl_ms = 2 * 24 * 3600 * 1000;

/// The controls' event_sink: posts to the cluster thread, never blocks.
class abuse_forwarder final : public abuse::event_sink {
public:
    explicit abuse_forwarder(node::impl& n) : node_(n) {}
    void skipped(std::uint64_t address) override { post({abuse_event::kind::skip, address, 0}); }
    void reported(std::uint64_t reporter, std::uint64_t reported) override {
        post({abuse_event::kind::report, reporter, reported});
    }

private:
    void post(abuse_event e) {
        asio::post(node_.io(), [n = &node_, e] { n->gather_abuse(e); });
    }
    node::impl& node_;
};

}  // namespace

void node::impl::share_abuse(abuse::controls* controls) {
    const std::lock_guard lock(abuse_mutex_);
    if (abuse_ != nullptr) abuse_->share_with(nullptr);
    abuse_ = controls;
    if (abuse_ == nullptr) return;
    if (!forwarder_) forwarder_ = std::make_unique<abuse_forwarder>(*this);
    abuse_->share_with(forwarder_.get());
    // The cluster thread may have met Redis already (it starts before the
    // daemon has its controls).
    asio::post(io_, [this] {
        if (!commands_->connected()) return;  // on_redis_connected does it
        sync_address_key();
        load_report_log();
    });
}

void node::impl::gather_abuse(abuse_event e) {
    abuse_out_.push_back(e);
    if (abuse_timer_armed_ || stopping_) return;
    abuse_timer_armed_ = true;
    abuse_timer_.expires_after(abuse_gathering);
    abuse_timer_.async_wait([this](boost::system::error_code ec) {
        abuse_timer_armed_ = false;
        if (!ec) flush_abuse();
    });
}

void node::impl::flush_abuse() {
    if (abuse_out_.empty()) return;
    std::vector<abuse_event> events;
    events.swap(abuse_out_);
    // Without Redis the events are lost to the other nodes, as heartbeats
    // are: this node counted them, and counts on.
    if (!commands_->connected()) return;
    log_reports(events);
    wire_message w;
    w.kind = wire_kind::abuse_events;
    w.from = id_;
    w.payload = encode_events(events);
    // Counted once Redis has it, and with it (one connection, in order)
    // the log's writes before it.
    commands_->command({"PUBLISH", heartbeats_, encode(w)}, [this, n = events.size()](
                                                                std::optional<redis::reply> r) {
        if (r && r->type == redis::reply::kind::integer)
            counters.abuse_events_sent_total.fetch_add(n, std::memory_order_relaxed);
    });
}

void node::impl::log_reports(const std::vector<abuse_event>& events) {
    std::vector<std::string> zadd{"ZADD", prefix_ + ":abuse:reports"};
    for (const auto& e : events) {
        if (e.what != abuse_event::kind::report) continue;
        zadd.push_back(std::to_string(wall_ms()));
        zadd.push_back(log_member(e.address, e.reported));
    }
    if (zadd.size() == 2) return;
    const auto span = report_log_span_in_force();
    if (!span) return;
    const std::string log = prefix_ + ":abuse:reports";
    commands_->command(std::move(zadd), [](auto) {});
    commands_->command(
        {"ZREMRANGEBYSCORE", log, "-inf", "(" + std::to_string(wall_ms() - span->count())},
        [](auto) {});
    commands_->command({"ZREMRANGEBYRANK", log, "0", "-" + std::to_string(report_log_max + 1)},
                       [](auto) {});
    commands_->command({"PEXPIRE", log, std::to_string(span->count())}, [](auto) {});
}

void node::impl::on_abuse_events(const wire_message& w) {
    if (w.from == id_) return;  // counted here already
    const auto events = decode_events(w.payload);
    if (!events) return;
    const auto now = clock::now();
    const std::lock_guard lock(abuse_mutex_);
    if (abuse_ == nullptr) return;
    counters.abuse_events_received_total.fetch_add(events->size(), std::memory_order_relaxed);
    for (const auto& e : *events) {
        if (e.what == abuse_event::kind::skip)
            abuse_->count_elsewhere_skip(e.address, now);
        else
            abuse_->count_elsewhere_report(e.address, e.reported, now);
    }
}

void node::impl::sync_address_key() {
    std::string offer;
    {
        const std::lock_guard lock(abuse_mutex_);
        if (abuse_ == nullptr) return;
        const auto [day, key] = abuse_->address_key(std::chrono::system_clock::now());
        offer = encode_address_key(day, key);
        address_key_day_ = day;
    }
    address_key_script_.run(
        *commands_, {prefix_ + ":abuse:key"},
        {std::move(offer), address_key_adopted_ ? "1" : "0", std::to_string(address_key_ttl_ms)},
        [this](std::optional<redis::reply> r) {
            if (!r || r->type != redis::reply::kind::string) return;
            const auto kept = decode_address_key(r->text);
            if (!kept) return;
            const std::lock_guard lock(abuse_mutex_);
            if (abuse_ == nullptr) return;
            abuse_->adopt_address_key(kept->second, kept->first);
            address_key_adopted_ = true;
            update_degraded();
        });
}

void node::impl::sync_address_key_daily() {
    // The first node to see a new day turns the kept key forward, so that
    // yesterday's key does not stay in Redis (the ratchet is one-way).
    const auto today = abuse::address_hasher::day_of(std::chrono::system_clock::now());
    if (address_key_adopted_ && today != address_key_day_ && commands_->connected())
        sync_address_key();
}

std::optional<std::chrono::milliseconds> node::impl::report_log_span_in_force() {
    const std::lock_guard lock(abuse_mutex_);
    if (abuse_ == nullptr) return std::nullopt;
    const auto s = abuse_->settings();
    return report_log_span(s.report_window, s.shadow_duration);
}

void node::impl::load_report_log() {
    if (report_log_loaded_) return;
    const auto span = report_log_span_in_force();
    if (!span) return;
    commands_->command(
        {"ZRANGEBYSCORE", prefix_ + ":abuse:reports", std::to_string(wall_ms() - span->count()),
         "+inf", "WITHSCORES"},
        [this](std::optional<redis::reply> r) {
            if (!r || r->type != redis::reply::kind::array) return;
            report_log_loaded_ = true;
            const auto now = clock::now();
            const auto wall = wall_ms();
            const std::lock_guard lock(abuse_mutex_);
            if (abuse_ == nullptr) return;
            // Oldest first, as they were counted; each at its own time.
            for (std::size_t i = 0; i + 1 < r->elements.size(); i += 2) {
                const auto e = parse_log_member(r->elements[i].text);
                const auto score = std::strtoll(r->elements[i + 1].text.c_str(), nullptr, 10);
                if (!e) continue;
                const auto age = milliseconds(std::max<std::int64_t>(wall - score, 0));
                abuse_->count_elsewhere_report(e->address, e->reported, now - age);
            }
        });
}

}  // namespace onymous::cluster
