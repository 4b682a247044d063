#include "config/keys.hpp"
#include "config/load_steps.hpp"

#include <onymous/config/load.hpp>

#include <filesystem>

namespace onymous::config {

settings parse(std::string_view yaml, std::string_view origin, std::string_view base_dir) {
    detail::load_context ctx;
    ctx.origin = origin;
    ctx.base_dir = base_dir;
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(std::string(yaml));
    } catch (const YAML::Exception& error) {
        detail::fail(ctx, error.mark.line + 1, {}, "YAML syntax error: " + error.msg);
    }
    // A later document would be silently ignored by a plain YAML::Load.
    if (documents.size() > 1) {
        detail::fail(ctx, detail::line_of(documents[1]), {},
                     "expected one YAML document, got " + std::to_string(documents.size()));
    }
    if (documents.empty() || documents.front().IsNull()) {
        detail::fail(ctx, 1, {}, "expected a mapping of settings, got an empty file");
    }
    const YAML::Node& root = documents.front();
    if (!root.IsMap()) {
        detail::fail(
            ctx, detail::line_of(root), {},
            "expected a mapping of settings at the top level, got " + detail::describe(root));
    }
    ctx.root_line = detail::line_of(root);
    settings out;
    detail::read_settings(ctx, root, out);
    detail::finish(ctx, out);
    return out;
}

settings load_file(const std::string& path) {
    std::string text;
    if (const std::error_code error = detail::read_text_file(path, text)) {
        throw config_error(path + ": cannot read: " + error.message());
    }
    // Absolute, so that paths in the file keep their meaning if the daemon changes directory.
    std::error_code ignored;
    const auto absolute = std::filesystem::absolute(path, ignored);
    return parse(text, path, absolute.parent_path().string());
}

std::vector<std::string> key_names() {
    std::vector<std::string> names;
    for (const auto& row : detail::settings_keys()) {
        if (row.type != detail::kind::section) {
            names.emplace_back(row.name);
        }
        if (row.type == detail::kind::listener_list) {
            for (const auto& item : detail::listener_keys()) {
                names.push_back(std::string(row.name) + "[]." + std::string(item.name));
            }
        }
    }
    return names;
}

}  // namespace onymous::config
