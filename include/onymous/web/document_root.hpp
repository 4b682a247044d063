#pragma once
// Opening a file under web.root without ever leaving it. POSIX only, no
// sockets.
//
// The root itself is opened by its configured path (symbolic links in that
// path are the operator's and are followed). Below it, every name is opened
// relative to its parent's descriptor with O_NOFOLLOW: a symbolic link
// anywhere below the root is refused (not_found), whether it points inside
// or outside, so no check can be raced by a link swapped in between a check
// and the open. Only regular files are served; a directory, FIFO, socket or
// device is not_found (and is never opened: the type is checked first, the
// open is non-blocking, and the opened descriptor is checked again).

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace onymous::web {

/// Larger files are not served: the web client is a few hundred KiB, and a
/// bigger file under the root is more likely a mistake than an asset.
inline constexpr std::uint64_t max_file_bytes = 16u << 20;

/// An owned file descriptor.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) : fd_(fd) {}
    unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& other) noexcept;
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd();

    int get() const { return fd_; }
    /// Gives up ownership.
    int release() { return std::exchange(fd_, -1); }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

/// An open regular file and what the validators are made of.
struct opened_file {
    unique_fd fd;
    std::uint64_t size = 0;
    std::int64_t mtime_seconds = 0;      ///< since the Unix epoch
    std::int64_t mtime_nanoseconds = 0;  ///< the sub-second part
    std::uint64_t inode = 0;
};

enum class open_failure {
    not_found,  ///< missing, hidden by a link, not a regular file, not readable
    too_large,  ///< over max_file_bytes
};

/// Opens root/segments[0]/…/segments.back() for reading.
std::variant<opened_file, open_failure> open_beneath(const std::string& root,
                                                     const std::vector<std::string>& segments,
                                                     std::uint64_t max_bytes = max_file_bytes);

}  // namespace onymous::web
