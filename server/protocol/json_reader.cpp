#include "protocol/json_reader.hpp"

#include "protocol/utf8.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace onymous::protocol::json_reader {

namespace {

// nlohmann recurses without bound; parse() refuses more than 32 levels
// before reading, so this only keeps malformed text from deep recursion.
constexpr std::size_t max_depth = 512;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

/// One read: a cursor over the text, appending to the document's arrays.
class reader {
public:
    reader(std::string_view text, std::vector<value>& values, std::string& decoded)
        : text_(text), values_(values), decoded_(decoded) {}

    bool document() {
        if (!text_.empty() && static_cast<unsigned char>(text_[0]) == 0xEF) {
            if (!text_.starts_with("\xEF\xBB\xBF")) return false;
            pos_ = 3;
        }
        skip_space();
        if (!read_value(0)) return false;
        skip_space();
        return pos_ == text_.size();
    }

private:
    void skip_space() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            ++pos_;
        }
    }

    bool take(char c) {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    bool take_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    std::uint32_t push(kind k) {
        values_.emplace_back();
        values_.back().kind = k;
        return static_cast<std::uint32_t>(values_.size() - 1);
    }

    bool read_value(std::size_t depth) {
        if (pos_ >= text_.size()) return false;
        switch (text_[pos_]) {
        case '{': return read_object(depth + 1);
        case '[': return read_array(depth + 1);
        case '"': {
            const std::uint32_t index = push(kind::string);
            std::string_view text;
            if (!read_string(text)) return false;
            values_[index].text = text;
            return true;
        }
        case 't': values_[push(kind::boolean)].boolean = true; return take_word("true");
        case 'f': push(kind::boolean); return take_word("false");
        case 'n': push(kind::null); return take_word("null");
        default: return read_number();
        }
    }

    /// Links `child` after `previous` (or as the first child of `parent`).
    void link(std::uint32_t parent, std::uint32_t& previous, std::uint32_t child) {
        if (values_[parent].size++ == 0)
            values_[parent].first = child;
        else
            values_[previous].next = child;
        previous = child;
    }

    bool read_object(std::size_t depth) {
        if (depth > max_depth) return false;
        const std::uint32_t index = push(kind::object);
        ++pos_;
        skip_space();
        if (take('}')) return true;
        std::uint32_t previous = 0;
        while (true) {
            std::string_view key;
            if (pos_ >= text_.size() || text_[pos_] != '"' || !read_string(key)) return false;
            skip_space();
            if (!take(':')) return false;
            skip_space();
            const auto child = static_cast<std::uint32_t>(values_.size());
            if (!read_value(depth)) return false;
            values_[child].key = key;
            link(index, previous, child);
            skip_space();
            if (take('}')) return true;
            if (!take(',')) return false;
            skip_space();
        }
    }

    bool read_array(std::size_t depth) {
        if (depth > max_depth) return false;
        const std::uint32_t index = push(kind::array);
        ++pos_;
        skip_space();
        if (take(']')) return true;
        std::uint32_t previous = 0;
        while (true) {
            const auto child = static_cast<std::uint32_t>(values_.size());
            if (!read_value(depth)) return false;
            link(index, previous, child);
            skip_space();
            if (take(']')) return true;
            if (!take(',')) return false;
            skip_space();
        }
    }

    /// At the opening quote. A string without escapes is a view of the
    /// text; one with escapes is decoded at the end of decoded_, which was
    /// reserved for the whole text and so never moves.
    bool read_string(std::string_view& out) {
        const std::size_t start = ++pos_;
        std::size_t decoded_from = std::string::npos;  // where this string starts in decoded_
        std::size_t plain_from = start;                // not yet copied to decoded_
        while (pos_ < text_.size()) {
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') {
                if (decoded_from == std::string::npos) {
                    out = text_.substr(start, pos_ - start);
                } else {
                    decoded_.append(text_.substr(plain_from, pos_ - plain_from));
                    out = std::string_view(decoded_).substr(decoded_from);
                }
                ++pos_;
                return true;
            }
            if (c < 0x20) return false;
            if (c >= 0x80) {
                char32_t cp = 0;
                if (!utf8::decode(text_, pos_, cp)) return false;
                continue;
            }
            if (c != '\\') {
                ++pos_;
                continue;
            }
            if (decoded_from == std::string::npos) decoded_from = decoded_.size();
            decoded_.append(text_.substr(plain_from, pos_ - plain_from));
            if (!read_escape()) return false;
            plain_from = pos_;
        }
        return false;
    }

    /// At a backslash: appends the escaped character to decoded_.
    bool read_escape() {
        if (++pos_ >= text_.size()) return false;
        const char c = text_[pos_++];
        switch (c) {
        case '"': decoded_.push_back('"'); return true;
        case '\\': decoded_.push_back('\\'); return true;
        case '/': decoded_.push_back('/'); return true;
        case 'b': decoded_.push_back('\b'); return true;
        case 'f': decoded_.push_back('\f'); return true;
        case 'n': decoded_.push_back('\n'); return true;
        case 'r': decoded_.push_back('\r'); return true;
        case 't': decoded_.push_back('\t'); return true;
        case 'u': break;
        default: return false;
        }
        char32_t cp = 0;
        if (!read_hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate alone
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            char32_t low = 0;
            if (!take_word("\\u") || !read_hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(decoded_, cp);
        return true;
    }

    bool read_hex4(char32_t& cp) {
        if (text_.size() - pos_ < 4) return false;
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            const int digit = hex_value(text_[pos_++]);
            if (digit < 0) return false;
            cp = (cp << 4) | static_cast<char32_t>(digit);
        }
        return true;
    }

    bool read_digits() {
        const std::size_t from = pos_;
        while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
        return pos_ > from;
    }

    bool read_number() {
        const std::size_t start = pos_;
        const bool negative = take('-');
        const std::size_t int_start = pos_;
        if (take('0')) {
            // no leading zeros: "01" ends the number at "0"
        } else if (pos_ < text_.size() && text_[pos_] >= '1' && text_[pos_] <= '9') {
            read_digits();
        } else {
            return false;
        }
        const std::size_t int_end = pos_;
        bool integer = true;
        if (take('.')) {
            integer = false;
            if (!read_digits()) return false;
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            integer = false;
            if (!take('+')) take('-');
            if (!read_digits()) return false;
        }
        value& v = values_[push(kind::number)];
        if (integer && classify_integer(text_.substr(int_start, int_end - int_start), negative, v))
            return true;
        // Like nlohmann: strtod, and a number out of double's range is an error.
        v.number = number_kind::floating;
        const std::string lexeme(text_.substr(start, pos_ - start));
        errno = 0;
        const double parsed = std::strtod(lexeme.c_str(), nullptr);
        return std::isfinite(parsed);
    }

    /// False when the integer does not fit nlohmann's 64-bit integers.
    static bool classify_integer(std::string_view digits, bool negative, value& v) {
        std::uint64_t magnitude = 0;
        for (const char c : digits) {
            const auto digit = static_cast<std::uint64_t>(c - '0');
            if (magnitude > (UINT64_MAX - digit) / 10) return false;
            magnitude = magnitude * 10 + digit;
        }
        if (!negative) {
            v.number = number_kind::unsigned_integer;
            v.unsigned_value = magnitude;
            return true;
        }
        constexpr std::uint64_t min_magnitude = std::uint64_t{1} << 63;  // -INT64_MIN
        if (magnitude > min_magnitude) return false;
        v.number = number_kind::signed_integer;
        v.signed_value =
            magnitude == min_magnitude ? INT64_MIN : -static_cast<std::int64_t>(magnitude);
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::vector<value>& values_;
    std::string& decoded_;
};

}  // namespace

bool document::read(std::string_view text) {
    values_.clear();
    decoded_.clear();
    // Decoded strings are never longer than their escaped form: with this
    // reserve the views into decoded_ stay put while it grows.
    decoded_.reserve(text.size());
    return reader(text, values_, decoded_).document();
}

const value* document::find(const value& object, std::string_view key) const {
    const value* found = nullptr;
    if (object.size == 0) return nullptr;
    for (std::uint32_t i = object.first;; i = values_[i].next) {
        if (values_[i].key == key) found = &values_[i];
        if (values_[i].next == 0) break;
    }
    return found;
}

const value& document::element(const value& array, std::size_t i) const {
    std::uint32_t index = array.first;
    while (i-- > 0) index = values_[index].next;
    return values_[index];
}

}  // namespace onymous::protocol::json_reader
