#include "config/keys.hpp"
#include "config/load_steps.hpp"

#include <onymous/config/load.hpp>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <sstream>

namespace onymous::config {

namespace {

/// Sees only where documents start.
class document_starts final : public YAML::EventHandler {
public:
    void OnDocumentStart(const YAML::Mark& mark) override { line = mark.line + 1; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}

    int line = 0;
};

/// The line of a second document, if any. Looks at two at most: yaml-cpp
/// 0.7's LoadAll, which this replaces, never ends on some inputs (a file
/// holding only "," yields empty documents forever, jbeder/yaml-cpp#1040).
std::optional<int> second_document_line(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    document_starts starts;
    if (!parser.HandleNextDocument(starts)) return std::nullopt;
    if (!parser.HandleNextDocument(starts)) return std::nullopt;
    return starts.line;
}

}  // namespace

settings parse(std::string_view yaml, std::string_view origin, std::string_view base_dir) {
    detail::load_context ctx;
    ctx.origin = origin;
    ctx.base_dir = base_dir;
    YAML::Node root;
    try {
        const std::string text(yaml);
        // A later document would be silently ignored by a plain YAML::Load.
        if (const auto second = second_document_line(text)) {
            detail::fail(ctx, *second, {}, "expected one YAML document, got a second one");
        }
        root = YAML::Load(text);
    } catch (const YAML::Exception& error) {
        detail::fail(ctx, error.mark.line + 1, {}, "YAML syntax error: " + error.msg);
    }
    if (root.IsNull()) {
        detail::fail(ctx, 1, {}, "expected a mapping of settings, got an empty file");
    }
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
