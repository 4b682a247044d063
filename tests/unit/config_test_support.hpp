#pragma once
// Helpers shared by the config_*.cpp tests.

#include <onymous/config/load.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

namespace onymous::config::test {

/// One plain listener: the least a configuration needs. Line 1 of every
/// test text, so that line numbers in expected messages start at 2.
inline constexpr std::string_view plain =
    "listeners: [{address: 127.0.0.1, port: 0, tls: false}]\n";

/// The message parse() refuses `yaml` with, or "(accepted)".
inline std::string refusal(std::string_view yaml, std::string_view base_dir = {}) {
    try {
        parse(yaml, "t.yaml", base_dir);
    } catch (const config_error& error) {
        return error.what();
    }
    return "(accepted)";
}

/// The message parse() refuses `plain` followed by `rest` with, or "(accepted)".
inline std::string refusal_after_plain(std::string_view rest) {
    return refusal(std::string(plain) + std::string(rest));
}

/// `plain` followed by `rest`.
inline settings parse_plain(std::string_view rest, std::string_view base_dir = {}) {
    return parse(std::string(plain) + std::string(rest), "t.yaml", base_dir);
}

/// A directory of its own for the test's files, removed afterwards.
class scratch_dir {
public:
    scratch_dir()
        : path_(std::filesystem::temp_directory_path() /
                ("onymous-config-test-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~scratch_dir() { std::filesystem::remove_all(path_); }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;

    /// Writes `text` to `name` in the directory; returns the full path.
    std::string write(const std::string& name, std::string_view text) const {
        const auto file = path_ / name;
        std::ofstream(file, std::ios::binary) << text;
        return file.string();
    }

    /// The directory.
    std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

}  // namespace onymous::config::test
