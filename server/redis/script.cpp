#include "redis/client.hpp"
#include "redis/sha1.hpp"

#include <memory>
#include <stdexcept>
#include <utility>

namespace onymous::redis {

script::script(std::string source)
    : source_(std::make_shared<const std::string>(std::move(source))), sha1_(sha1_hex(*source_)) {}

const std::string& script::sha1() const { return sha1_; }

void script::run(connection& c, std::vector<std::string> keys, std::vector<std::string> args,
                 connection::reply_handler handler) const {
    auto argv = std::make_shared<std::vector<std::string>>();
    argv->reserve(3 + keys.size() + args.size());
    argv->emplace_back("EVALSHA");
    argv->push_back(sha1_);
    argv->push_back(std::to_string(keys.size()));
    for (std::string& key : keys) argv->push_back(std::move(key));
    for (std::string& arg : args) argv->push_back(std::move(arg));
    // `c` outlives the handler: a connection destroys its pending handlers uncalled.
    c.command(*argv, [&c, argv, source = source_,
                      handler = std::move(handler)](std::optional<reply> answer) mutable {
        if (!answer || !answer->is_error("NOSCRIPT")) {
            if (handler) handler(std::move(answer));
            return;
        }
        // Not in this server's cache (a restart, SCRIPT FLUSH, a failover): EVAL loads it.
        (*argv)[0] = "EVAL";
        (*argv)[1] = *source;
        c.command(std::move(*argv), std::move(handler));
    });
}

}  // namespace onymous::redis
