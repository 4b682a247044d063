#include "redis/resp.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <array>
#include <cstring>
#include <new>

namespace onymous::redis {

void append_command(std::string& out, const std::vector<std::string>& argv) {
    // hiredis takes C arrays: on the stack for the usual few arguments.
    constexpr std::size_t on_stack = 16;
    std::array<const char*, on_stack> stack_pointers;
    std::array<std::size_t, on_stack> stack_lengths;
    std::vector<const char*> heap_pointers;
    std::vector<std::size_t> heap_lengths;
    const char** pointers = stack_pointers.data();
    std::size_t* lengths = stack_lengths.data();
    if (argv.size() > on_stack) {
        heap_pointers.resize(argv.size());
        heap_lengths.resize(argv.size());
        pointers = heap_pointers.data();
        lengths = heap_lengths.data();
    }
    for (std::size_t i = 0; i < argv.size(); ++i) {
        pointers[i] = argv[i].data();
        lengths[i] = argv[i].size();
    }
    char* command = nullptr;
    const int length =
        ::redisFormatCommandArgv(&command, static_cast<int>(argv.size()), pointers, lengths);
    if (length < 0) throw std::bad_alloc();
    out.append(command, static_cast<std::size_t>(length));
    ::redisFreeCommand(command);
}

namespace {

// hiredis's reader calls these to build each value. A nested value lives in
// its parent's `elements` (sized by create_array before any child arrives), so
// only the root is allocated and only the root is freed: hiredis frees
// r->reply, the root, on error and in redisReaderFree. They must not throw
// through C: on failure they return NULL, which hiredis reports as out of
// memory.

reply::kind kind_of(int type) {
    switch (type) {
    case REDIS_REPLY_STRING: return reply::kind::string;
    case REDIS_REPLY_STATUS: return reply::kind::status;
    case REDIS_REPLY_ERROR: return reply::kind::error;
    case REDIS_REPLY_INTEGER: return reply::kind::integer;
    case REDIS_REPLY_ARRAY: return reply::kind::array;
    default: return reply::kind::nil;
    }
}

/// Where the value of `task` goes: its slot in the parent array, or a new root.
reply* slot_for(const redisReadTask* task, std::unique_ptr<reply>& root) {
    if (task->parent != nullptr) {
        auto* parent = static_cast<reply*>(task->parent->obj);
        return &parent->elements[static_cast<std::size_t>(task->idx)];
    }
    root = std::make_unique<reply>();
    return root.get();
}

template <typename Fill>
void* create(const redisReadTask* task, Fill fill) noexcept {
    try {
        std::unique_ptr<reply> root;
        reply* value = slot_for(task, root);
        value->type = kind_of(task->type);
        fill(*value);
        root.release();  // now hiredis's r->reply, or owned by its parent
        return value;
    } catch (...) {
        return nullptr;
    }
}

void* create_string(const redisReadTask* task, char* text, std::size_t length) {
    return create(task, [&](reply& value) { value.text.assign(text, length); });
}

void* create_array(const redisReadTask* task, int elements) {
    return create(task,
                  [&](reply& value) { value.elements.resize(static_cast<std::size_t>(elements)); });
}

void* create_integer(const redisReadTask* task, long long integer) {
    return create(task, [&](reply& value) { value.integer = integer; });
}

void* create_nil(const redisReadTask* task) {
    return create(task, [](reply& value) { value.type = reply::kind::nil; });
}

void free_object(void* object) { delete static_cast<reply*>(object); }

redisReplyObjectFunctions reply_functions = {create_string, create_array, create_integer,
                                             create_nil, free_object};

}  // namespace

struct reply_reader::hiredis_reader {
    redisReader* reader = nullptr;
    ~hiredis_reader() {
        if (reader != nullptr) ::redisReaderFree(reader);
    }
};

void reply_reader::free_reader::operator()(hiredis_reader* wrapper) const { delete wrapper; }

reply_reader::reply_reader() { reset(); }

reply_reader::~reply_reader() = default;

void reply_reader::reset() {
    auto wrapper = std::make_unique<hiredis_reader>();
    wrapper->reader = ::redisReaderCreateWithFunctions(&reply_functions);
    if (wrapper->reader == nullptr) throw std::bad_alloc();
    reader_.reset(wrapper.release());
    error_.clear();
}

void reply_reader::feed(std::string_view bytes) {
    if (failed() || bytes.empty()) return;
    if (::redisReaderFeed(reader_->reader, bytes.data(), bytes.size()) != REDIS_OK)
        error_ = reader_->reader->errstr[0] != '\0' ? reader_->reader->errstr : "reader failed";
}

std::optional<reply> reply_reader::next() {
    if (failed()) return std::nullopt;
    void* object = nullptr;
    if (::redisReaderGetReply(reader_->reader, &object) != REDIS_OK) {
        error_ = reader_->reader->errstr[0] != '\0' ? reader_->reader->errstr : "reader failed";
        return std::nullopt;
    }
    if (object == nullptr) return std::nullopt;
    std::unique_ptr<reply> root(static_cast<reply*>(object));
    return std::move(*root);
}

}  // namespace onymous::redis
