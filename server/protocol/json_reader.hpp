#pragma once
// A strict JSON reader for client messages (RFC 8259, accepting and refusing
// exactly what nlohmann::json::parse does, which the fuzz target checks).
//
// Why not nlohmann's DOM: it copies every string one character at a time and
// allocates a node per value, which made JSON a quarter of the server's CPU
// on the relay path (docs/performance.md). Here a document is a flat array
// of values whose strings are views: into the message itself when they hold
// no escape, else into one decode buffer. A document is reused from message
// to message, so reading allocates nothing once its buffers have grown.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::protocol::json_reader {

enum class kind : std::uint8_t { null, boolean, number, string, array, object };

/// How nlohmann classifies a number: non-negative integers are unsigned,
/// integers written with a minus (even -0) signed, anything with a fraction,
/// an exponent or out of 64-bit range floating.
enum class number_kind : std::uint8_t { unsigned_integer, signed_integer, floating };

struct value {
    json_reader::kind kind = kind::null;
    json_reader::number_kind number = number_kind::floating;
    bool boolean = false;
    std::uint64_t unsigned_value = 0;  ///< number_kind::unsigned_integer
    std::int64_t signed_value = 0;     ///< number_kind::signed_integer
    std::string_view text;             ///< a string's decoded bytes
    std::string_view key;              ///< the member name, inside an object
    std::uint32_t size = 0;            ///< elements or members of a container
    std::uint32_t first = 0;           ///< index of the first child, if size > 0
    std::uint32_t next = 0;            ///< index of the next sibling, 0 if last

    bool is_string() const { return kind == json_reader::kind::string; }
    bool is_null() const { return kind == json_reader::kind::null; }
    bool is_object() const { return kind == json_reader::kind::object; }
    bool is_array() const { return kind == json_reader::kind::array; }
    bool is_unsigned() const {
        return kind == json_reader::kind::number && number == number_kind::unsigned_integer;
    }
    bool is_signed() const {
        return kind == json_reader::kind::number && number == number_kind::signed_integer;
    }
};

class document {
public:
    /// Reads `text`; false when it is not one JSON value (with optional
    /// white space and a leading UTF-8 byte order mark, as nlohmann allows).
    /// Views into `text` stay valid while it does and until the next read().
    bool read(std::string_view text);

    const value& root() const { return values_.front(); }

    /// The member `key` of an object, or null if absent. With duplicate
    /// keys the last one counts, as in nlohmann's DOM.
    const value* find(const value& object, std::string_view key) const;

    /// The i-th element of an array (i < size).
    const value& element(const value& array, std::size_t i) const;

private:
    std::vector<value> values_;
    std::string decoded_;
};

}  // namespace onymous::protocol::json_reader
