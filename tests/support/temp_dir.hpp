#pragma once
// Scratch directories for end-to-end tests: every daemon gets its own, so
// tests never share config files, ready files or logs.

#include <filesystem>
#include <string>
#include <string_view>

namespace onymous::test {

/// A fresh directory under $TMPDIR (default /tmp), removed with its contents
/// on destruction unless ONYMOUS_TEST_KEEP is set in the environment.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    /// The directory's absolute path.
    const std::filesystem::path& path() const { return path_; }
    /// The path of `name` inside the directory (not created).
    std::filesystem::path file(std::string_view name) const;
    /// Writes `content` to `name` inside the directory; returns its path.
    std::filesystem::path write(std::string_view name, std::string_view content) const;

private:
    std::filesystem::path path_;
};

/// The whole content of a file; empty when it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// Writes `content` to `path`, throwing std::runtime_error on failure.
void write_file(const std::filesystem::path& path, std::string_view content);

}  // namespace onymous::test
