#pragma once
// imprint's own files (state, overlay, instance JSON, the wrapper flake, the run lock, the
// configuration) behind one tiny interface for reads and writes (ninja's DiskInterface), so tests
// can inject a failure at any single step and check that what is on disk is the old or the new
// version of each file, never a mix. What strangers wrote (seeds, DMI, media) is read through
// Host, confined to its root (agent/system/host.hh).

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <sys/types.h>

namespace imprint {

// An exclusive lock held on an open file; released when destroyed.
class FileLock
{
public:
    explicit FileLock(int fd) : fd_(fd) {}
    FileLock(FileLock && other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    FileLock & operator=(FileLock && other) noexcept
    {
        std::swap(fd_, other.fd_);
        return *this;
    }
    FileLock(const FileLock &) = delete;
    ~FileLock();

private:
    int fd_;
};

class DiskInterface
{
public:
    virtual ~DiskInterface() = default;
    // One of imprint's own files, at most `cap` bytes; nullopt when it does not exist. A symlink
    // is followed (NixOS links /etc/imprint/imprint.yaml into the store); only a regular file is
    // read, without blocking. Other failures are an Error naming the file.
    virtual std::optional<std::string> readFile(const std::filesystem::path & path, std::size_t cap) = 0;
    // Creates `path` with `mode` (it must not exist, not even as a dangling symlink) and writes
    // all of `data`.
    virtual void writeFile(const std::filesystem::path & path, std::string_view data, mode_t mode) = 0;
    virtual void fsyncFile(const std::filesystem::path & path) = 0;
    virtual void rename(const std::filesystem::path & from, const std::filesystem::path & to) = 0;
    virtual void fsyncDir(const std::filesystem::path & dir) = 0;
    virtual void remove(const std::filesystem::path & path) = 0;
    virtual void makeDirs(const std::filesystem::path & dir, mode_t mode) = 0;
    // An exclusive lock on `path` (created 0600, never through a symlink), or nullopt while
    // another process holds it.
    virtual std::optional<FileLock> tryLock(const std::filesystem::path & path) = 0;
};

DiskInterface & realDisk();

// Temp file in the same directory (a stale one removed, then created with O_EXCL | O_NOFOLLOW),
// fsync, rename over `path`, fsync of the directory.
void atomicWrite(DiskInterface & ops, const std::filesystem::path & path, std::string_view data, mode_t mode);

} // namespace imprint
