#include <onymous/session/directory.hpp>

#include <functional>

namespace onymous::session {

directory::shard& directory::shard_of(std::string_view token) {
    return shards_[std::hash<std::string_view>{}(token) % shard_count];
}

void directory::insert(const std::string& token, std::weak_ptr<signaling_session> s) {
    auto& shard = shard_of(token);
    const std::lock_guard lock(shard.mutex);
    shard.tokens.insert_or_assign(token, std::move(s));
}

std::shared_ptr<signaling_session> directory::take(std::string_view token) {
    auto& shard = shard_of(token);
    const std::lock_guard lock(shard.mutex);
    const auto it = shard.tokens.find(std::string(token));
    if (it == shard.tokens.end()) return nullptr;
    auto s = it->second.lock();
    shard.tokens.erase(it);
    return s;
}

void directory::erase(const std::string& token) {
    auto& shard = shard_of(token);
    const std::lock_guard lock(shard.mutex);
    shard.tokens.erase(token);
}

std::size_t directory::size() const {
    std::size_t total = 0;
    for (const auto& shard : shards_) {
        const std::lock_guard lock(shard.mutex);
        total += shard.tokens.size();
    }
    return total;
}

}  // namespace onymous::session
