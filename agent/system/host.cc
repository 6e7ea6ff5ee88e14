#include "agent/system/host.hh"
#include "agent/system/error.hh"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cstdint>
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

namespace imprint {

namespace fs = std::filesystem;

Host::Host(fs::path root) : root_(root.empty() ? fs::path("/") : std::move(root)) {}

fs::path Host::path(std::string_view hostPath) const
{
    if (isRealRoot())
        return fs::path(hostPath);
    std::string_view rel = hostPath;
    while (!rel.empty() && rel.front() == '/')
        rel.remove_prefix(1);
    return root_ / fs::path(rel);
}

namespace {

class Fd
{
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { if (fd_ >= 0) ::close(fd_); }
    Fd(const Fd &) = delete;
    Fd & operator=(const Fd &) = delete;
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_;
};

std::string describeType(mode_t mode)
{
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "not a regular file";
}

// Reads all of `fd`, a regular file, up to `cap` bytes; `shown` names the file in errors.
std::string readRegular(int fd, const std::string & shown, std::size_t cap)
{
    struct stat st{};
    if (::fstat(fd, &st) != 0)
        throw Error("cannot stat " + shown + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        throw Error(shown + " is " + describeType(st.st_mode) + ", expected a regular file");
    // procfs and sysfs report sizes of 0 or 4096 whatever they hold: the read loop is the bound.
    if (static_cast<std::uint64_t>(st.st_size) > cap)
        throw Error(shown + " is larger than the limit of " + std::to_string(cap) + " bytes");
    std::string data;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw Error("cannot read " + shown + ": " + std::strerror(errno));
        }
        if (n == 0)
            break;
        if (data.size() + static_cast<std::size_t>(n) > cap)
            throw Error(shown + " is larger than the limit of " + std::to_string(cap) + " bytes");
        data.append(buf, static_cast<std::size_t>(n));
    }
    return data;
}

bool isAbsent(int err) { return err == ENOENT || err == ENOTDIR; }

std::optional<std::string> openError(const std::string & shown, bool absentIsNull)
{
    if (absentIsNull && isAbsent(errno))
        return std::nullopt;
    if (errno == ELOOP)
        throw Error("cannot open " + shown + ": it is, or its path goes through, a symbolic link that may not be "
                    "followed here");
    if (errno == EXDEV)
        throw Error("cannot open " + shown + ": its path leaves the root it is read under");
    throw Error("cannot open " + shown + ": " + std::strerror(errno));
}

// openat2(2) of `hostPath` with `root` as "/". glibc has no wrapper for it.
int openInRoot(const fs::path & root, std::string_view hostPath, int flags)
{
    Fd rootFd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootFd)
        return -1;
    while (!hostPath.empty() && hostPath.front() == '/')
        hostPath.remove_prefix(1);
    std::string relative = hostPath.empty() ? "." : std::string(hostPath);
    struct open_how how{};
    // openat2 refuses with O_PATH any flag but O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC.
    if ((flags & O_PATH) == 0)
        flags |= O_NOCTTY;
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, rootFd.get(), relative.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS)
        return static_cast<int>(fd);
    // Under "/" nothing can lead outside the root: a plain openat resolves the same way.
    if (root == "/")
        return ::openat(rootFd.get(), relative.c_str(), flags | O_CLOEXEC);
    throw Error("cannot read under " + root.string() + ": openat2(2) is not available (Linux before 5.6, or a "
                "seccomp filter such as systemd's RestrictSUIDSGID=)");
}

} // namespace

std::optional<std::string> readFileCapped(const fs::path & file, std::size_t cap)
{
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd)
        return openError(file.string(), true);
    return readRegular(fd.get(), file.string(), cap);
}

std::optional<std::string> Host::readFile(std::string_view hostPath, std::size_t cap) const
{
    Fd fd(openInRoot(root_, hostPath, O_RDONLY | O_NONBLOCK));
    if (!fd)
        return openError(path(hostPath).string(), true);
    return readRegular(fd.get(), path(hostPath).string(), cap);
}

std::optional<std::string> Host::readSeedFile(std::string_view hostPath, std::size_t cap) const
{
    Fd fd(openInRoot(root_, hostPath, O_RDONLY | O_NONBLOCK | O_NOFOLLOW));
    if (!fd)
        return openError(path(hostPath).string(), true);
    return readRegular(fd.get(), path(hostPath).string(), cap);
}

std::string trim(std::string_view s)
{
    auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    while (!s.empty() && isSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back()))
        s.remove_suffix(1);
    return std::string(s);
}

std::string lowerAscii(std::string_view s)
{
    std::string out(s);
    for (auto & c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::optional<std::string> Host::readValue(std::string_view hostPath) const
{
    try {
        auto data = readFile(hostPath, kSmallFileCap);
        if (!data)
            return std::nullopt;
        auto nl = data->find('\n');
        return trim(std::string_view(*data).substr(0, nl));
    } catch (const Error &) {
        return std::nullopt;
    }
}

namespace {

// The type of what `hostPath` names under `root` (following a last symlink unless `noFollow`);
// nullopt when nothing is there or it cannot be reached inside the root.
std::optional<mode_t> typeInRoot(const fs::path & root, std::string_view hostPath, bool noFollow)
{
    Fd fd(openInRoot(root, hostPath, O_PATH | (noFollow ? O_NOFOLLOW : 0)));
    struct stat st{};
    if (!fd || ::fstat(fd.get(), &st) != 0)
        return std::nullopt;
    return st.st_mode;
}

} // namespace

bool Host::exists(std::string_view hostPath) const
{
    return typeInRoot(root_, hostPath, false).has_value();
}

bool Host::hasEntry(std::string_view hostPath) const
{
    return typeInRoot(root_, hostPath, true).has_value();
}

bool Host::isDirectory(std::string_view hostPath) const
{
    auto mode = typeInRoot(root_, hostPath, false);
    return mode && S_ISDIR(*mode);
}

bool Host::isSocket(std::string_view hostPath) const
{
    auto mode = typeInRoot(root_, hostPath, false);
    return mode && S_ISSOCK(*mode);
}

std::vector<std::string> Host::list(std::string_view hostPath) const
{
    std::vector<std::string> names;
    int fd = openInRoot(root_, hostPath, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return names;
    DIR * dir = ::fdopendir(fd);
    if (!dir) {
        ::close(fd);
        return names;
    }
    while (const dirent * entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name == "." || name == "..")
            continue;
        if (names.size() >= kMaxDirectoryEntries) {
            ::closedir(dir);
            throw Error(path(hostPath).string() + " holds more than " + std::to_string(kMaxDirectoryEntries) + " entries");
        }
        names.emplace_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace imprint
