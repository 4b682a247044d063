#include "config/keys.hpp"
#include "config/load_steps.hpp"
#include "config/readers.hpp"

#include <onymous/config/load.hpp>

#include <algorithm>
#include <map>

namespace onymous::config::detail {

namespace {

template <class Target>
using table = std::span<const key_row<Target>>;

template <class Target>
const key_row<Target>* find_row(table<Target> rows, std::string_view name) {
    const auto found =
        std::find_if(rows.begin(), rows.end(), [&](const auto& row) { return row.name == name; });
    return found == rows.end() ? nullptr : &*found;
}

std::string_view leaf_of(std::string_view name) { return name.substr(name.rfind('.') + 1); }

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// A known key with the same last part (set in the wrong section), else one a
// typo or two away.
template <class Target>
std::string suggestion(table<Target> rows, std::string_view name, std::string_view base) {
    const std::string_view leaf = leaf_of(name);
    const key_row<Target>* best = nullptr;
    std::size_t best_distance = 3;
    for (const auto& row : rows) {
        if (leaf_of(row.name) == leaf) {
            best = &row;
            break;
        }
        const std::size_t distance = edit_distance(name, row.name);
        if (distance < best_distance && distance < leaf.size()) {
            best = &row;
            best_distance = distance;
        }
    }
    return best == nullptr ? std::string() : " (did you mean " + join_key(base, best->name) + "?)";
}

template <class Target>
void walk(load_context& ctx, const YAML::Node& map, table<Target> rows, std::string_view prefix,
          std::string_view base, Target& target);

std::vector<listener> read_listeners(load_context& ctx, const value_ref& value,
                                     std::string_view expected) {
    if (value.node.IsSequence() && value.node.size() == 0) {
        fail(ctx, value.line, value.key,
             "expected " + std::string(expected) + ", got an empty list");
    }
    if (!value.node.IsSequence()) {
        refuse(ctx, value, expected);
    }
    std::vector<listener> out;
    for (const YAML::Node& item : value.node) {
        const std::string key = indexed_key(value.key, out.size());
        const value_ref ref{item, key, item.IsNull() ? value.line : line_of(item)};
        if (!item.IsMap()) {
            refuse(ctx, ref, "a mapping with address, port and tls");
        }
        listener& added = out.emplace_back();
        walk(ctx, item, listener_keys(), "", key, added);
        // A socket passed by systemd has its address already.
        if (!added.fd_name.empty()) continue;
        for (const auto* required : {"address", "port"}) {
            if (!ctx.has(join_key(key, required))) {
                const auto& row = *find_row(listener_keys(), required);
                fail(ctx, ref.line, join_key(key, required),
                     "missing, expected " + describe_expected(row));
            }
        }
    }
    return out;
}

template <class Target>
void apply(load_context& ctx, const key_row<Target>& row, const value_ref& value, Target& target) {
    const auto set = [&](auto v) {
        std::get<void (*)(Target&, decltype(v))>(row.set)(target, std::move(v));
    };
    const std::string expected = describe_expected(row);
    switch (row.type) {
    case kind::section: break;
    case kind::uint: set(read_uint(ctx, value, row.min, row.max, expected)); break;
    case kind::boolean: set(read_bool(ctx, value, expected)); break;
    case kind::string:
    case kind::path: set(read_string(ctx, value, expected)); break;
    case kind::ip_address: set(read_address(ctx, value, expected)); break;
    case kind::fd_name: set(read_fd_name(ctx, value, expected)); break;
    case kind::url: set(read_url(ctx, value, row.choices, expected)); break;
    case kind::choice: set(read_choice(ctx, value, row.choices, expected)); break;
    case kind::duration: set(read_duration(ctx, value, row.min, row.max, expected)); break;
    case kind::url_list:
    case kind::origin_list:
    case kind::cidr_list:
    case kind::secret: set(read_list(ctx, value, row.type, row.choices, row.max, expected)); break;
    case kind::listener_list: set(read_listeners(ctx, value, expected)); break;
    }
}

template <class Target>
void walk(load_context& ctx, const YAML::Node& map, table<Target> rows, std::string_view prefix,
          std::string_view base, Target& target) {
    std::map<std::string, int, std::less<>> seen;
    for (const auto& pair : map) {
        const YAML::Node& key = pair.first;
        const int key_line = line_of(key);
        if (!key.IsScalar()) {
            fail(ctx, key_line, join_key(base, prefix),
                 "expected a key name, got " + describe(key));
        }
        const std::string& leaf = key.Scalar();
        const std::string name = join_key(prefix, leaf);
        const std::string shown = join_key(base, name);
        if (const auto [first, fresh] = seen.emplace(leaf, key_line); !fresh) {
            fail(ctx, key_line, shown,
                 "duplicate key, first set on line " + std::to_string(first->second));
        }
        if (leaf.find('.') != std::string::npos) {
            fail(ctx, key_line, shown,
                 "unknown key (nest sections as mappings rather than dotted names)");
        }
        const key_row<Target>* row = find_row(rows, name);
        if (row == nullptr) {
            fail(ctx, key_line, shown, "unknown key" + suggestion(rows, name, base));
        }
        ctx.lines[shown] = key_line;
        const YAML::Node& value = pair.second;
        const value_ref ref{value, shown, value.IsNull() ? key_line : line_of(value)};
        if (row->type != kind::section) {
            apply(ctx, *row, ref, target);
            continue;
        }
        if (const auto* on_present = std::get_if<void (*)(Target&)>(&row->set)) {
            (*on_present)(target);
        }
        if (value.IsMap()) {
            walk(ctx, value, rows, name, base, target);
        } else if (!value.IsNull()) {
            refuse(ctx, ref, "a mapping");
        }
    }
}

}  // namespace

void read_settings(load_context& ctx, const YAML::Node& root, settings& out) {
    walk(ctx, root, settings_keys(), "", "", out);
}

}  // namespace onymous::config::detail
