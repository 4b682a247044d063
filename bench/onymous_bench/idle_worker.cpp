// One child process of the idle scenario: opens its share of the
// connections, keeps a read pending on each (Beast answers the server's
// pings while reading), and reports to the parent through a pipe, one line
// per event:
//   progress OPENED FAILED DROPPED
//   ready OPENED FAILED LAST_HELLO_NS ERRORS...
//   done DROPPED
// It closes everything when the parent closes the release pipe.

#include "idle_worker.hpp"

#include "common.hpp"

#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include <memory>
#include <vector>

namespace onymous::bench {

namespace {

namespace net = boost::asio;

class idle_worker;

class idle_client final : public ws_connection::listener {
public:
    idle_client(idle_worker& owner, net::io_context& ioc, tls_client_context* tls)
        : owner_(owner), connection_(ioc, tls, *this) {}

    ws_connection& connection() { return connection_; }
    bool open() const { return state_ == state::open; }
    bool finished() const { return state_ == state::failed || state_ == state::ended; }

    void on_open(const error_code& ec, const char* step) override;
    void on_message(std::string_view text) override;
    void on_closed(const error_code& ec, int close_code) override;

private:
    enum class state { connecting, open, failed, ended };
    idle_worker& owner_;
    ws_connection connection_;
    state state_ = state::connecting;
};

class idle_worker {
public:
    idle_worker(const options& opts, std::size_t first, std::size_t count, int report_fd,
                int release_fd)
        : opts_(opts),
          first_(first),
          count_(count),
          report_fd_(report_fd),
          release_(ioc_, release_fd),
          heartbeat_(ioc_),
          ticker_(ioc_),
          window_(count, opts.concurrency == 0 ? 256 : opts.concurrency,
                  [this](std::size_t i) { start(i); }) {
        if (opts.tls) tls_ = std::make_unique<tls_client_context>();
        errors_.echo(first == 0);  // one child is enough to show the first errors
        clients_.reserve(count);
    }

    int run() {
        window_.fill();
        tick();
        wait_release();
        if (opts_.talk == dialect::peerjs && opts_.heartbeat > 0) beat();
        ioc_.run();
        return 0;
    }

    void opened() {
        ++opened_;
        last_hello_ns_ = monotonic_ns();
        attempt_done();
    }
    void failed(const std::string& kind) {
        ++failed_;
        errors_.add(kind);
        attempt_done();
    }
    /// An open connection ended: by the release, or else by the server.
    void ended(int close_code) {
        if (releasing_) return finish_if_done();
        ++dropped_;
        errors_.add("dropped by the server (close code " + std::to_string(close_code) + ")");
    }

private:
    void start(std::size_t i) {
        clients_.push_back(std::make_unique<idle_client>(*this, ioc_, tls_.get()));
        const std::size_t index = first_ + i;
        const std::string path = opts_.talk == dialect::peerjs
                                     ? peerjs_target(opts_, "idle" + std::to_string(::getppid()) +
                                                                "x" + std::to_string(index))
                                     : opts_.path;
        clients_.back()->connection().open(target_of(opts_, node_for(opts_, index)), path,
                                           source_for(opts_, index));
    }

    void attempt_done() {
        ++attempted_;
        if (attempted_ == count_) {
            report("ready " + std::to_string(opened_) + " " + std::to_string(failed_) + " " +
                   std::to_string(last_hello_ns_) + " " + errors_.summary());
        }
        window_.finished();
    }

    void report(const std::string& line) {
        const std::string text = line + "\n";
        // A pipe write of up to PIPE_BUF bytes is atomic; longer lines are
        // cut rather than interleaved.
        (void)!::write(report_fd_, text.data(), std::min<std::size_t>(text.size(), 4000));
    }

    void tick() {
        ticker_.expires_after(std::chrono::seconds(2));
        ticker_.async_wait([this](const error_code& ec) {
            if (ec || releasing_) return;
            report("progress " + std::to_string(opened_) + " " + std::to_string(failed_) + " " +
                   std::to_string(dropped_));
            tick();
        });
    }

    void beat() {
        heartbeat_.expires_after(
            std::chrono::milliseconds(static_cast<int>(opts_.heartbeat * 1000)));
        heartbeat_.async_wait([this](const error_code& ec) {
            if (ec || releasing_) return;
            static constexpr std::string_view text = R"({"type":"HEARTBEAT"})";
            for (auto& client : clients_)
                if (client->open()) client->connection().send(text);
            beat();
        });
    }

    void wait_release() {
        release_.async_read_some(net::buffer(release_byte_), [this](const error_code&,
                                                                    std::size_t) {
            // Data or end of file: the parent is done measuring.
            releasing_ = true;
            ticker_.cancel();
            heartbeat_.cancel();
            for (auto& client : clients_)
                if (client->open()) client->connection().close();
            close_deadline_ = std::make_unique<net::steady_timer>(ioc_, std::chrono::seconds(10));
            close_deadline_->async_wait([this](const error_code& ec) {
                if (!ec) finish();
            });
            finish_if_done();
        });
    }

    void finish_if_done() {
        for (const auto& client : clients_)
            if (!client->finished()) return;
        finish();
    }

    void finish() {
        if (finished_) return;
        finished_ = true;
        report("done " + std::to_string(dropped_));
        if (close_deadline_) close_deadline_->cancel();
        for (auto& client : clients_) client->connection().abort();
        ioc_.stop();
    }

    const options& opts_;
    std::size_t first_;
    std::size_t count_;
    int report_fd_;
    net::io_context ioc_{1};
    net::posix::stream_descriptor release_;
    net::steady_timer heartbeat_;
    net::steady_timer ticker_;
    std::unique_ptr<net::steady_timer> close_deadline_;
    std::unique_ptr<tls_client_context> tls_;
    std::vector<std::unique_ptr<idle_client>> clients_;
    launch_window window_;
    error_tally errors_;
    char release_byte_[1] = {};
    std::size_t attempted_ = 0;
    std::size_t opened_ = 0;
    std::size_t failed_ = 0;
    std::size_t dropped_ = 0;
    std::int64_t last_hello_ns_ = 0;
    bool releasing_ = false;
    bool finished_ = false;
};

void idle_client::on_open(const error_code& ec, const char* step) {
    if (!ec) return;  // the greeting message completes the open
    state_ = state::failed;
    owner_.failed(std::string(step) + ": " + ec.message());
}

void idle_client::on_message(std::string_view text) {
    if (state_ != state::connecting) return;  // later messages (pings are not messages)
    // The greeting is checked by type only: hello (onymous) or OPEN (PeerJS).
    const auto type = message_type(text);
    if (type == "hello" || type == "OPEN") {
        state_ = state::open;
        owner_.opened();
    } else {
        state_ = state::failed;
        connection_.abort();
        owner_.failed("first message was not the greeting but " + std::string(type));
    }
}

void idle_client::on_closed(const error_code& ec, int close_code) {
    const state was = state_;
    state_ = state::ended;
    if (was == state::connecting)
        return owner_.failed("closed before the greeting: " + ec.message());
    owner_.ended(close_code);
}

}  // namespace

int run_idle_worker(const options& opts, std::size_t first, std::size_t count, int report_fd,
                    int release_fd) {
    raise_descriptor_limit();
    idle_worker worker(opts, first, count, report_fd, release_fd);
    return worker.run();
}

}  // namespace onymous::bench
