#include "config/context.hpp"

#include <onymous/config/load.hpp>

namespace onymous::config::detail {

namespace {

// Long enough to recognise a value, short enough for one log line.
constexpr std::size_t max_quoted_bytes = 64;

}  // namespace

int load_context::line_of(std::string_view key, int fallback) const {
    const auto found = lines.find(key);
    return found == lines.end() ? fallback : found->second;
}

void fail(const load_context& ctx, int line, std::string_view key, std::string_view what) {
    std::string message = ctx.origin;
    if (line > 0) {
        message += ':';
        message += std::to_string(line);
    }
    message += ": ";
    if (!key.empty()) {
        message += key;
        message += ": ";
    }
    message += what;
    throw config_error(message);
}

void refuse(const load_context& ctx, const value_ref& value, std::string_view expected) {
    std::string what = "expected ";
    what += expected;
    what += ", got ";
    what += describe(value.node);
    fail(ctx, value.line, value.key, what);
}

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Scalar: return quote(node.Scalar());
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: break;
    }
    return "nothing";
}

std::string quote(std::string_view text) {
    std::string out = "\"";
    std::size_t end = text.size();
    if (end > max_quoted_bytes) {
        end = max_quoted_bytes;
        // Cut on a UTF-8 character boundary, not inside one.
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
            --end;
        }
    }
    for (const char c : text.substr(0, end)) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20 || byte == 0x7F) {
            constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0x0F];
        } else {
            out += c;
        }
    }
    if (end < text.size()) {
        out += "...";
    }
    out += '"';
    return out;
}

std::string join_key(std::string_view prefix, std::string_view leaf) {
    std::string key(prefix);
    if (!key.empty() && !leaf.empty()) {
        key += '.';
    }
    key += leaf;
    return key;
}

std::string indexed_key(std::string_view key, std::size_t index) {
    return std::string(key) + "[" + std::to_string(index) + "]";
}

}  // namespace onymous::config::detail
