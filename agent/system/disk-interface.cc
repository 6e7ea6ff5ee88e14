#include "agent/system/disk-interface.hh"
#include "agent/system/error.hh"
#include "agent/system/host.hh"

#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imprint {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string & what, const fs::path & path)
{
    throw Error("cannot " + what + " " + path.string() + ": " + std::strerror(errno));
}

// fsync(2) on `path` opened read-only with `flags`; an fsync errno equal to `tolerated` is no
// failure. `kind` names what is synced in the error (" directory").
void fsyncOpened(const fs::path & path, int flags, const std::string & kind, int tolerated)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0)
        fail("open" + kind, path);
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    errno = saved;
    if (rc != 0 && (tolerated == 0 || errno != tolerated))
        fail("fsync" + kind, path);
}

class RealDisk : public DiskInterface
{
public:
    std::optional<std::string> readFile(const fs::path & path, std::size_t cap) override
    {
        return readFileCapped(path, cap);
    }

    std::optional<FileLock> tryLock(const fs::path & path) override
    {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            fail("open the lock file", path);
        FileLock lock(fd);
        while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK)
                return std::nullopt;
            if (errno != EINTR)
                fail("lock", path);
        }
        return lock;
    }

    void writeFile(const fs::path & path, std::string_view data, mode_t mode) override
    {
        // O_EXCL | O_NOFOLLOW: never write through a name that someone else put there first (a
        // symlink or a file planted in the directory); the caller removes a stale temporary.
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
            fail("create", path);
        if (::fchmod(fd, mode) != 0) {  // the umask must not widen or narrow the mode
            int saved = errno;
            ::close(fd);
            errno = saved;
            fail("set the mode of", path);
        }
        std::size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::write(fd, data.data() + done, data.size() - done);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                int saved = errno;
                ::close(fd);
                errno = saved;
                fail("write", path);
            }
            done += static_cast<std::size_t>(n);
        }
        if (::close(fd) != 0)
            fail("write", path);
    }

    void fsyncFile(const fs::path & path) override { fsyncOpened(path, O_NOFOLLOW, "", 0); }

    void rename(const fs::path & from, const fs::path & to) override
    {
        if (::rename(from.c_str(), to.c_str()) != 0)
            fail("rename " + from.string() + " to", to);
    }

    // Some file systems cannot fsync a directory (EINVAL); that is no failure.
    void fsyncDir(const fs::path & dir) override { fsyncOpened(dir, O_DIRECTORY, " directory", EINVAL); }

    void remove(const fs::path & path) override
    {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            fail("remove", path);
    }

    void makeDirs(const fs::path & dir, mode_t mode) override
    {
        std::error_code ec;
        if (fs::is_directory(dir, ec))
            return;
        if (dir.has_parent_path() && dir.parent_path() != dir)
            makeDirs(dir.parent_path(), 0755);
        if (::mkdir(dir.c_str(), mode) != 0) {
            if (errno == EEXIST)
                return;
            fail("create directory", dir);
        }
        if (::chmod(dir.c_str(), mode) != 0)  // exactly `mode`, whatever the umask
            fail("set the mode of", dir);
    }
};

} // namespace

FileLock::~FileLock()
{
    if (fd_ >= 0)
        ::close(fd_);
}

DiskInterface & realDisk()
{
    static RealDisk ops;
    return ops;
}

void atomicWrite(DiskInterface & ops, const fs::path & path, std::string_view data, mode_t mode)
{
    fs::path dir = path.parent_path();
    // One fixed temporary name per file: runs are serialised by imprint's lock, and a run killed
    // half-way leaves a temporary that the next run removes (unlink never follows a link), instead
    // of one more `.name.tmp.<pid>` for good. It is then created exclusively.
    fs::path tmp = dir / ("." + path.filename().string() + ".tmp");
    ops.remove(tmp);
    try {
        ops.writeFile(tmp, data, mode);
        ops.fsyncFile(tmp);
        ops.rename(tmp, path);
    } catch (...) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw;
    }
    ops.fsyncDir(dir);
}

} // namespace imprint
