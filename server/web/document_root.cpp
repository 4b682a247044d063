#include <onymous/web/document_root.hpp>

#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace onymous::web {

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

unique_fd::~unique_fd() {
    if (fd_ >= 0) ::close(fd_);
}

namespace {

int open_retrying(int dir, const char* name, int flags) {
    int fd;
    do {
        fd = ::openat(dir, name, flags);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

}  // namespace

std::variant<opened_file, open_failure> open_beneath(const std::string& root,
                                                     const std::vector<std::string>& segments,
                                                     std::uint64_t max_bytes) {
    if (root.empty() || segments.empty()) return open_failure::not_found;
    unique_fd dir(open_retrying(AT_FDCWD, root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return open_failure::not_found;
    // Directories: O_NOFOLLOW makes a link fail (ELOOP), O_DIRECTORY a file.
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
        unique_fd next(open_retrying(dir.get(), segments[i].c_str(),
                                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) return open_failure::not_found;
        dir = std::move(next);
    }
    const char* name = segments.back().c_str();
    // Look before opening, so that a FIFO or a device is never opened at all.
    struct stat before {};
    if (::fstatat(dir.get(), name, &before, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(before.st_mode))
        return open_failure::not_found;
    // O_NONBLOCK: should a FIFO be swapped in after the look, the open does
    // not wait for a writer (and the check below refuses it).
    unique_fd file(
        open_retrying(dir.get(), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!file) return open_failure::not_found;
    struct stat st {};
    if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) return open_failure::not_found;
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return open_failure::too_large;
    // Reads of a regular file never block on O_NONBLOCK, but clear it so
    // that whoever reads the descriptor sees an ordinary one.
    const int flags = ::fcntl(file.get(), F_GETFL);
    if (flags >= 0) (void)::fcntl(file.get(), F_SETFL, flags & ~O_NONBLOCK);

    opened_file out;
    out.fd = std::move(file);
    out.size = static_cast<std::uint64_t>(st.st_size);
    out.mtime_seconds = static_cast<std::int64_t>(st.st_mtim.tv_sec);
    out.mtime_nanoseconds = static_cast<std::int64_t>(st.st_mtim.tv_nsec);
    out.inode = static_cast<std::uint64_t>(st.st_ino);
    return out;
}

}  // namespace onymous::web
