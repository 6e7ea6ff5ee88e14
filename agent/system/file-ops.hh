#pragma once
// The filesystem side effects of a commit behind a tiny interface (ninja's style), so tests can
// inject a failure at any single step and check that what is on disk is the old or the new
// version of each file, never a mix.

#include <filesystem>
#include <string_view>
#include <sys/types.h>

namespace imprint {

class FileOps
{
public:
    virtual ~FileOps() = default;
    // Creates `path` with `mode` (it must not exist, not even as a dangling symlink) and writes
    // all of `data`.
    virtual void writeFile(const std::filesystem::path & path, std::string_view data, mode_t mode) = 0;
    virtual void fsyncFile(const std::filesystem::path & path) = 0;
    virtual void rename(const std::filesystem::path & from, const std::filesystem::path & to) = 0;
    virtual void fsyncDir(const std::filesystem::path & dir) = 0;
    virtual void remove(const std::filesystem::path & path) = 0;
    virtual void makeDirs(const std::filesystem::path & dir, mode_t mode) = 0;
};

FileOps & realFileOps();

// Temp file in the same directory (a stale one removed, then created with O_EXCL | O_NOFOLLOW),
// fsync, rename over `path`, fsync of the directory.
void atomicWrite(FileOps & ops, const std::filesystem::path & path, std::string_view data, mode_t mode);

} // namespace imprint
