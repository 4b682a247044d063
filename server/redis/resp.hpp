#pragma once
// RESP, the Redis protocol, without I/O: hiredis's command formatter and
// reply reader behind a hiredis-free interface. The client feeds the reader
// whatever its socket read and sends what the formatter wrote; the unit tests
// and a fuzzer can drive both with bytes alone.

#include "reply.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::redis {

/// Appends `argv` to `out` as one RESP command (hiredis's redisFormatCommandArgv):
/// every argument binary safe. Throws std::bad_alloc when hiredis cannot allocate.
void append_command(std::string& out, const std::vector<std::string>& argv);

/// hiredis's redisReader, building `reply` values directly (no redisReply in
/// between, so each string is copied once, from the reader's buffer).
class reply_reader {
public:
    reply_reader();
    ~reply_reader();
    reply_reader(const reply_reader&) = delete;
    reply_reader& operator=(const reply_reader&) = delete;

    /// Appends bytes read from the server.
    void feed(std::string_view bytes);
    /// The next complete reply; nullopt when more bytes are needed or the stream is broken
    /// (failed()). Arrays nested deeper than hiredis's 7 levels break the stream.
    std::optional<reply> next();
    /// The stream is not RESP (or the reader ran out of memory): nothing more comes out of it.
    bool failed() const { return !error_.empty(); }
    /// Why it failed (hiredis's text); empty while it has not.
    const std::string& error() const { return error_; }
    /// Forgets everything: a new connection starts from here.
    void reset();

private:
    struct hiredis_reader;
    struct free_reader {
        void operator()(hiredis_reader* reader) const;
    };
    std::unique_ptr<hiredis_reader, free_reader> reader_;
    std::string error_;
};

}  // namespace onymous::redis
