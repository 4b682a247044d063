#include "prometheus_text.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

namespace onymous::test {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool metric_name_start(char c) { return is_alpha(c) || c == '_' || c == ':'; }
bool metric_name_char(char c) { return metric_name_start(c) || is_digit(c); }
bool label_name_start(char c) { return is_alpha(c) || c == '_'; }
bool label_name_char(char c) { return label_name_start(c) || is_digit(c); }

/// Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t extra = 0;
        std::uint32_t point = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            point = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            point = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            point = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= text.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) return false;
            point = (point << 6) | (next & 0x3F);
        }
        if ((extra == 2 && point < 0x800) || (extra == 3 && point < 0x10000) || point > 0x10FFFF ||
            (point >= 0xD800 && point <= 0xDFFF))
            return false;
        i += extra + 1;
    }
    return true;
}

/// A float as the format allows: a decimal number, NaN, +Inf or -Inf.
std::optional<double> parse_float(std::string_view token) {
    if (token == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (token == "+Inf") return std::numeric_limits<double>::infinity();
    if (token == "-Inf") return -std::numeric_limits<double>::infinity();
    std::string_view body = token;
    bool negative = false;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
        negative = body[0] == '-';
        body.remove_prefix(1);
    }
    // [digits][.digits][e[+-]digits], at least one digit before the exponent.
    std::size_t i = 0;
    std::size_t mantissa_digits = 0;
    while (i < body.size() && is_digit(body[i])) ++i, ++mantissa_digits;
    if (i < body.size() && body[i] == '.') {
        ++i;
        while (i < body.size() && is_digit(body[i])) ++i, ++mantissa_digits;
    }
    if (mantissa_digits == 0) return std::nullopt;
    if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
        ++i;
        if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
        std::size_t exponent_digits = 0;
        while (i < body.size() && is_digit(body[i])) ++i, ++exponent_digits;
        if (exponent_digits == 0) return std::nullopt;
    }
    if (i != body.size()) return std::nullopt;
    double value = 0;
    const auto [end, error] = std::from_chars(body.data(), body.data() + body.size(), value);
    if (error != std::errc() || end != body.data() + body.size()) return std::nullopt;
    return negative ? -value : value;
}

/// Reads one line left to right; every failure throws with the line number.
class line_reader {
public:
    line_reader(std::string_view text, int number) : text_(text), number_(number) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw prometheus_parse_error(number_, what + " in \"" + std::string(text_) + "\"");
    }
    bool at_end() const { return at_ == text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[at_]; }
    void skip_blanks() {
        while (!at_end() && is_blank(text_[at_])) ++at_;
    }
    /// At least one blank, then any more.
    void require_blanks(const char* before) {
        if (at_end() || !is_blank(text_[at_]))
            fail(std::string("expected a blank before ") + before);
        skip_blanks();
    }
    void expect(char c, const char* what) {
        if (peek() != c) fail(std::string("expected ") + what);
        ++at_;
    }
    std::string metric_name() {
        const auto start = at_;
        if (at_end() || !metric_name_start(text_[at_])) fail("expected a metric name");
        while (!at_end() && metric_name_char(text_[at_])) ++at_;
        return std::string(text_.substr(start, at_ - start));
    }
    std::string label_name() {
        const auto start = at_;
        if (at_end() || !label_name_start(text_[at_])) fail("expected a label name");
        while (!at_end() && label_name_char(text_[at_])) ++at_;
        return std::string(text_.substr(start, at_ - start));
    }
    /// A token up to the next blank or the end of the line.
    std::string_view token() {
        const auto start = at_;
        while (!at_end() && !is_blank(text_[at_])) ++at_;
        return text_.substr(start, at_ - start);
    }
    /// A quoted label value with the escapes \\, \" and \n.
    std::string quoted_value() {
        expect('"', "'\"' opening a label value");
        std::string value;
        for (;;) {
            if (at_end()) fail("unterminated label value");
            const char c = text_[at_++];
            if (c == '"') break;
            if (c != '\\') {
                value += c;
                continue;
            }
            if (at_end()) fail("unterminated escape in a label value");
            const char escaped = text_[at_++];
            if (escaped == '\\')
                value += '\\';
            else if (escaped == '"')
                value += '"';
            else if (escaped == 'n')
                value += '\n';
            else
                fail(std::string("invalid escape \\") + escaped + " in a label value");
        }
        if (!valid_utf8(value)) fail("a label value that is not UTF-8");
        return value;
    }
    /// The rest of a HELP line with the escapes \\ and \n.
    std::string docstring() {
        std::string help;
        while (!at_end()) {
            const char c = text_[at_++];
            if (c != '\\') {
                help += c;
                continue;
            }
            if (at_end()) fail("a HELP text ending in a lone backslash");
            const char escaped = text_[at_++];
            if (escaped == '\\')
                help += '\\';
            else if (escaped == 'n')
                help += '\n';
            else
                fail(std::string("invalid escape \\") + escaped + " in a HELP text");
        }
        if (!valid_utf8(help)) fail("a HELP text that is not UTF-8");
        return help;
    }
    std::string_view rest() const { return text_.substr(at_); }

private:
    std::string_view text_;
    int number_;
    std::size_t at_ = 0;
};

struct family_state {
    int declared_at = 0;
    bool has_type = false;
    bool has_help = false;
};

std::string series_key(const std::string& name, const label_set& labels) {
    std::string key = name + "{";
    for (const auto& [label, value] : labels) key += label + "=\"" + value + "\",";
    return key + "}";
}

std::string suffix_of(const std::string& name, const std::string& family) {
    if (name.size() <= family.size() || name.compare(0, family.size(), family) != 0) return {};
    return name.substr(family.size());
}

/// Whether `sample` may belong to a family `family` of `type`.
bool belongs(const std::string& sample, const std::string& family, const std::string& type) {
    if (type == "histogram") {
        const auto suffix = suffix_of(sample, family);
        return suffix == "_bucket" || suffix == "_sum" || suffix == "_count";
    }
    if (type == "summary") {
        const auto suffix = suffix_of(sample, family);
        return sample == family || suffix == "_sum" || suffix == "_count";
    }
    return sample == family;
}

label_set without(label_set labels, const std::string& name) {
    labels.erase(name);
    return labels;
}

/// Buckets (or quantiles), _sum and _count of one label set of a histogram
/// (or summary).
struct distribution {
    std::vector<const prometheus_sample*> points;
    const prometheus_sample* sum = nullptr;
    const prometheus_sample* count = nullptr;
};

void check_distributions(const prometheus_family& family) {
    const bool histogram = family.type == "histogram";
    const std::string point_label = histogram ? "le" : "quantile";
    std::map<label_set, distribution> groups;
    for (const auto& sample : family.samples) {
        const auto suffix = suffix_of(sample.name, family.name);
        auto& group = groups[without(sample.labels, point_label)];
        if (suffix == "_sum") {
            group.sum = &sample;
        } else if (suffix == "_count") {
            group.count = &sample;
        } else {
            group.points.push_back(&sample);
        }
    }
    for (const auto& [labels, group] : groups) {
        const auto where = [&](const prometheus_sample* sample) {
            return sample != nullptr ? sample->line : family.samples.front().line;
        };
        const std::string series = series_key(family.name, labels);
        if (group.sum == nullptr)
            throw prometheus_parse_error(where(nullptr),
                                         family.type + " " + series + " has no _sum");
        if (group.count == nullptr)
            throw prometheus_parse_error(where(nullptr),
                                         family.type + " " + series + " has no _count");
        const double count = group.count->value;
        if (!(count >= 0) || std::isinf(count) || count != std::floor(count))
            throw prometheus_parse_error(where(group.count),
                                         series + "_count is not a non-negative integer");
        if (histogram && group.points.empty())
            throw prometheus_parse_error(where(group.count),
                                         "histogram " + series + " has no buckets");
        double previous_bound = -std::numeric_limits<double>::infinity();
        double previous_value = 0;
        bool first = true;
        for (const auto* point : group.points) {
            const auto bound = parse_float(point->labels.at(point_label));
            if (!bound || std::isnan(*bound))
                throw prometheus_parse_error(point->line, point_label + " is not a number");
            if (!first && !(*bound > previous_bound))
                throw prometheus_parse_error(point->line,
                                             point_label + " values not in increasing order");
            if (histogram) {
                if (!(point->value >= previous_value) || point->value != std::floor(point->value))
                    throw prometheus_parse_error(
                        point->line, "bucket counts not cumulative non-negative integers");
                previous_value = point->value;
            } else if (*bound < 0 || *bound > 1) {
                throw prometheus_parse_error(point->line, "a quantile outside [0, 1]");
            }
            previous_bound = *bound;
            first = false;
        }
        if (histogram) {
            const auto* last = group.points.back();
            if (last->labels.at("le") != "+Inf")
                throw prometheus_parse_error(
                    last->line, "histogram " + series + " has no le=\"+Inf\" bucket last");
            if (last->value != count)
                throw prometheus_parse_error(
                    last->line, "histogram " + series + ": the +Inf bucket differs from _count");
        }
    }
}

}  // namespace

const prometheus_family* prometheus_exposition::family(std::string_view name) const {
    for (const auto& entry : families)
        if (entry.name == name) return &entry;
    return nullptr;
}

const prometheus_sample* prometheus_exposition::sample(std::string_view name,
                                                       const label_set& labels) const {
    for (const auto& entry : families)
        for (const auto& item : entry.samples)
            if (item.name == name && item.labels == labels) return &item;
    return nullptr;
}

std::optional<double> prometheus_exposition::value(std::string_view name,
                                                   const label_set& labels) const {
    const auto* found = sample(name, labels);
    if (found == nullptr) return std::nullopt;
    return found->value;
}

double prometheus_exposition::value_or_zero(std::string_view name, const label_set& labels) const {
    return value(name, labels).value_or(0);
}

std::vector<const prometheus_sample*> prometheus_exposition::all_samples() const {
    std::vector<const prometheus_sample*> out;
    for (const auto& entry : families)
        for (const auto& item : entry.samples) out.push_back(&item);
    return out;
}

prometheus_exposition parse_prometheus_text(std::string_view text) {
    prometheus_exposition result;
    std::map<std::string, family_state> states;
    std::map<std::string, std::size_t> index;
    std::set<std::string> series;
    prometheus_family* current = nullptr;

    if (!text.empty() && text.back() != '\n')
        throw prometheus_parse_error(0, "the last line does not end with a newline");
    int number = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto end = text.find('\n', at);
        const auto line_text = text.substr(at, end - at);
        at = end + 1;
        ++number;
        line_reader line(line_text, number);
        line.skip_blanks();
        if (line.at_end()) continue;  // empty lines are ignored

        if (line.peek() == '#') {
            line.expect('#', "#");
            line.skip_blanks();
            const auto keyword = line.token();
            if (keyword != "HELP" && keyword != "TYPE") continue;  // a plain comment
            line.require_blanks("the metric name");
            const auto name = line.metric_name();
            auto found = index.find(name);
            if (found == index.end()) {
                found = index.emplace(name, result.families.size()).first;
                result.families.push_back({name, "", std::nullopt, {}});
                states[name].declared_at = number;
            } else if (current == nullptr || current->name != name) {
                line.fail("family " + name + " declared again after other families (line " +
                          std::to_string(states[name].declared_at) + ")");
            }
            current = &result.families[found->second];
            auto& state = states[name];
            if (!current->samples.empty()) line.fail(std::string(keyword) + " after samples");
            if (keyword == "HELP") {
                if (state.has_help) line.fail("a second HELP for " + name);
                state.has_help = true;
                if (!line.at_end()) line.require_blanks("the HELP text");
                current->help = line.docstring();
            } else {
                if (state.has_type) line.fail("a second TYPE for " + name);
                state.has_type = true;
                line.require_blanks("the type");
                const auto type = line.token();
                if (type != "counter" && type != "gauge" && type != "histogram" &&
                    type != "summary" && type != "untyped")
                    line.fail("unknown type \"" + std::string(type) + "\"");
                line.skip_blanks();
                if (!line.at_end()) line.fail("text after the type");
                current->type = std::string(type);
            }
            continue;
        }

        prometheus_sample sample;
        sample.line = number;
        sample.name = line.metric_name();
        if (line.peek() == '{') {
            line.expect('{', "{");
            line.skip_blanks();
            while (line.peek() != '}') {
                const auto label = line.label_name();
                if (label.compare(0, 2, "__") == 0) line.fail("reserved label name " + label);
                line.skip_blanks();
                line.expect('=', "'=' after a label name");
                line.skip_blanks();
                const auto value = line.quoted_value();
                if (!sample.labels.emplace(label, value).second)
                    line.fail("label " + label + " twice");
                line.skip_blanks();
                if (line.peek() == ',') {
                    line.expect(',', ",");
                    line.skip_blanks();
                } else if (line.peek() != '}') {
                    line.fail("expected ',' or '}' after a label value");
                }
            }
            line.expect('}', "}");
            line.skip_blanks();
        } else {
            line.require_blanks("the value");
        }
        const auto value_token = line.token();
        const auto value = parse_float(value_token);
        if (!value) line.fail("not a float: \"" + std::string(value_token) + "\"");
        sample.value = *value;
        line.skip_blanks();
        if (!line.at_end()) {
            const auto stamp = line.token();
            std::int64_t ms = 0;
            const auto [end_ptr, error] =
                std::from_chars(stamp.data(), stamp.data() + stamp.size(), ms);
            if (error != std::errc() || end_ptr != stamp.data() + stamp.size() || stamp.empty())
                line.fail("not a timestamp: \"" + std::string(stamp) + "\"");
            sample.timestamp_ms = ms;
            line.skip_blanks();
            if (!line.at_end()) line.fail("text after the timestamp");
        }

        if (current == nullptr || !states[current->name].has_type)
            line.fail("sample " + sample.name + " without a TYPE line for its family before it");
        if (!belongs(sample.name, current->name, current->type)) {
            const bool elsewhere = index.count(sample.name) != 0;
            line.fail("sample " + sample.name + " is not part of the " + current->type + " " +
                      current->name +
                      (elsewhere ? " (its family's lines are not contiguous)"
                                 : " (it has no TYPE line of its own)"));
        }
        const auto suffix = suffix_of(sample.name, current->name);
        if (current->type == "histogram") {
            if ((suffix == "_bucket") != (sample.labels.count("le") != 0))
                line.fail(suffix == "_bucket" ? "a bucket without le" : "le outside a bucket");
        } else if (current->type == "summary") {
            if ((sample.name == current->name) != (sample.labels.count("quantile") != 0))
                line.fail(sample.name == current->name ? "a quantile without quantile label"
                                                       : "quantile label outside a quantile");
        } else if (current->type == "counter") {
            if (!(sample.value >= 0)) line.fail("a counter that is negative or NaN");
        }
        if (!series.insert(series_key(sample.name, sample.labels)).second)
            line.fail("a duplicate series " + series_key(sample.name, sample.labels));
        current->samples.push_back(std::move(sample));
    }

    for (const auto& family : result.families) {
        if (!states[family.name].has_type)
            throw prometheus_parse_error(states[family.name].declared_at,
                                         "family " + family.name + " has HELP but no TYPE");
        if (family.type == "histogram" || family.type == "summary") check_distributions(family);
    }
    return result;
}

}  // namespace onymous::test
