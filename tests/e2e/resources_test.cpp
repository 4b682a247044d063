// Descriptors (issue 2, Server): the daemon raises its open-file soft limit to
// the hard limit, warns when max_connections exceeds it, and backs off
// instead of spinning when accept fails for lack of descriptors.

#include "helpers.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

using namespace onymous::test;

namespace {

/// Lowers this process's open-file soft limit while alive, so that a daemon
/// spawned meanwhile inherits a soft limit below its hard limit.
class lowered_soft_limit {
public:
    explicit lowered_soft_limit(rlim_t soft) {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        rlimit lowered = saved_;
        lowered.rlim_cur = soft;
        ::setrlimit(RLIMIT_NOFILE, &lowered);
    }
    ~lowered_soft_limit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
    lowered_soft_limit(const lowered_soft_limit&) = delete;
    lowered_soft_limit& operator=(const lowered_soft_limit&) = delete;

private:
    rlimit saved_{};
};

/// The daemon's "Max open files" soft and hard limits from /proc.
std::pair<long, long> open_file_limits(pid_t pid) {
    std::istringstream lines(read_file("/proc/" + std::to_string(pid) + "/limits"));
    std::string line;
    const std::string label = "Max open files";
    while (std::getline(lines, line))
        if (line.rfind(label, 0) == 0) {
            std::istringstream values(line.substr(label.size()));
            long soft = -1;
            long hard = -1;
            values >> soft >> hard;
            return {soft, hard};
        }
    FAIL("no Max open files line in /proc/" << pid << "/limits");
    return {};
}

/// GLIBC_TUNABLES in the environment `pid` was started with, or nullopt.
/// glibc's loader ends each tunable's value in place with a NUL as it
/// parses them, so in /proc/PID/environ the tunables after the first look
/// like entries of their own.
std::optional<std::string> glibc_tunables(pid_t pid) {
    std::istringstream entries(read_file("/proc/" + std::to_string(pid) + "/environ"));
    const std::string prefix = "GLIBC_TUNABLES=";
    std::optional<std::string> found;
    std::string entry;
    while (std::getline(entries, entry, '\0')) {
        if (entry.rfind(prefix, 0) == 0)
            found = entry.substr(prefix.size());
        else if (found && entry.rfind("glibc.", 0) == 0)
            *found += ":" + entry;
        else if (found)
            break;
    }
    return found;
}

/// True when some log line has a warning level word ("warn", "warning", any case).
bool has_warning(const std::string& log) {
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string word;
        while (words >> word) {
            std::string lower;
            for (const char c : word)
                if (std::isalpha(static_cast<unsigned char>(c)))
                    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower == "warn" || lower == "warning") return true;
        }
    }
    return false;
}

/// User plus system CPU time of a process, in clock ticks.
long cpu_ticks(pid_t pid) {
    const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long utime = 0;
    long stime = 0;
    for (int index = 3; index <= 15 && rest >> field; ++index) {
        if (index == 14) utime = std::stol(field);
        if (index == 15) stime = std::stol(field);
    }
    return utime + stime;
}

std::size_t open_descriptors(pid_t pid) {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
        ++count;
    return count;
}

}  // namespace

TEST_CASE("the open-file soft limit is raised to the hard limit, with a warning above it",
          "[resources_test][e2e]") {
    rlimit ours{};
    ::getrlimit(RLIMIT_NOFILE, &ours);
    REQUIRE(ours.rlim_max > 512);
    std::unique_ptr<daemon_process> warned;
    std::unique_ptr<daemon_process> quiet;
    {
        lowered_soft_limit lowered(256);
        warned = std::make_unique<daemon_process>(std::initializer_list<config_override>{
            {"limits.max_connections", static_cast<std::uint64_t>(ours.rlim_max) * 10}});
        // Nothing else to warn about either (config::warnings).
        quiet = std::make_unique<daemon_process>(std::initializer_list<config_override>{
            {"limits.max_connections", 100},
            {"logging.level", "warn"},
            {"trusted_proxies", json::array({"127.0.0.1/32"})},
            {"limits.pair_max_offers", 20}});
    }
    for (auto* daemon : {warned.get(), quiet.get()}) {
        const auto [soft, hard] = open_file_limits(daemon->pid());
        REQUIRE(hard == static_cast<long>(ours.rlim_max));
        REQUIRE(soft == hard);
    }
    // Give each a connection, so that any start-up warnings are written.
    for (auto* daemon : {warned.get(), quiet.get()}) {
        auto client = open_client(*daemon);
        ping_pong(client);
    }
    finish(*warned);
    finish(*quiet);
    INFO("max_connections above the limit:\n" << warned->log() << "\nbelow it:\n" << quiet->log());
    REQUIRE(has_warning(warned->log()));
    REQUIRE(warned->log().find(" warning limits.max_connections is ") != std::string::npos);
    REQUIRE_FALSE(has_warning(quiet->log()));
}

TEST_CASE("accept backs off instead of spinning when descriptors run out",
          "[resources_test][e2e]") {
    ONYMOUS_REQUIRE_TIMING_BUILD();
    daemon_process daemon({{"limits.handshake_timeout", "60s"}});
    // Leave the daemon 16 descriptors to spare (lowering another process's
    // limit needs no privilege), then queue far more connections than that.
    const auto baseline = open_descriptors(daemon.pid());
    const rlimit tight{baseline + 16, baseline + 16};
    REQUIRE(::prlimit(daemon.pid(), RLIMIT_NOFILE, &tight, nullptr) == 0);
    std::vector<std::unique_ptr<silent_connection>> flood;
    for (int i = 0; i < 64; ++i)
        flood.push_back(std::make_unique<silent_connection>(daemon.plain_port(), false));

    // Over a second of descriptor exhaustion a spinning accept loop burns a
    // whole core (about 100 ticks); backing off costs next to nothing.
    const long before = cpu_ticks(daemon.pid());
    std::this_thread::sleep_for(1s);  // an interval to measure, not a wait for an event
    const long spent = cpu_ticks(daemon.pid()) - before;
    INFO("CPU ticks over one second with descriptors exhausted: " << spent);
    REQUIRE(spent < 25);

    // Once descriptors are free again, it serves new clients.
    flood.clear();
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    bool served = false;
    while (!served && std::chrono::steady_clock::now() < deadline) {
        ws_client client;
        connect_options options;
        options.timeout = 3s;
        served = client.connect(daemon.tls_port(), options) && client.read_json(3s).has_value();
    }
    REQUIRE(served);
    finish(daemon);
}

TEST_CASE("the daemon runs with glibc's tcache off, keeping other tunables, unless told not to",
          "[resources_test][e2e]") {
    daemon_process plain(launch_options{}, {});  // launched: nothing of ours inherited
    launch_options with_tunable;
    with_tunable.environment = {{"GLIBC_TUNABLES", "glibc.malloc.arena_max=2"}};
    daemon_process extended(with_tunable, {});
    launch_options kept;
    kept.environment = {{"ONYMOUS_KEEP_MALLOC", "1"}};
    daemon_process untouched(kept, {});
    launch_options started_again;  // as after its own exec: never a second one
    started_again.environment = {{"ONYMOUS_MALLOC_TUNED", "1"}};
    daemon_process once(started_again, {});
    CHECK(glibc_tunables(plain.pid()) == "glibc.malloc.tcache_count=0");
    CHECK(glibc_tunables(extended.pid()) == "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0");
    CHECK(glibc_tunables(untouched.pid()) == std::nullopt);
    CHECK(glibc_tunables(once.pid()) == std::nullopt);
    // Still named after itself (ps, the journal), not after /proc/self/exe.
    CHECK(read_file("/proc/" + std::to_string(plain.pid()) + "/comm") == "onymousd\n");
    // Started again in place, each still serves on the sockets it reported.
    for (auto* daemon : {&plain, &extended, &untouched, &once}) {
        auto client = open_client(*daemon);
        ping_pong(client);
        finish(*daemon);
    }
}
