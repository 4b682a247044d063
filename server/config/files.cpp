#include "config/load_steps.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace onymous::config::detail {

std::string resolve_path(const std::string& base_dir, const std::string& path) {
    if (path.empty() || base_dir.empty() || std::filesystem::path(path).is_absolute()) {
        return path;
    }
    return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

std::error_code read_text_file(const std::string& path, std::string& out) {
    std::error_code error;
    // ifstream opens a directory without complaint on Linux; say what it is.
    if (std::filesystem::is_directory(path, error)) {
        return std::make_error_code(std::errc::is_a_directory);
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::error_code(errno != 0 ? errno : EIO, std::generic_category());
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        return std::make_error_code(std::errc::io_error);
    }
    out = std::move(text).str();
    return {};
}

}  // namespace onymous::config::detail
