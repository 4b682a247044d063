#pragma once
// Resume tokens of every live session of the daemon, in memory only. A
// connection on any worker looks its token up here to reach a session that
// lives on another. take() removes the token, which is what makes a token
// single use even when two connections race with it.

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace onymous::session {

class signaling_session;

class directory {
public:
    void insert(const std::string& token, std::weak_ptr<signaling_session> s);
    /// The session of `token`, removing the token; null when unknown.
    std::shared_ptr<signaling_session> take(std::string_view token);
    void erase(const std::string& token);
    std::size_t size() const;

private:
    /// Sharded so that workers resuming and ending sessions at once rarely
    /// meet on one mutex; the critical sections are a hash lookup.
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, std::weak_ptr<signaling_session>> tokens;
    };
    static constexpr std::size_t shard_count = 16;
    shard& shard_of(std::string_view token);

    std::array<shard, shard_count> shards_;
};

}  // namespace onymous::session
