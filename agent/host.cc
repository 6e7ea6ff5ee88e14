#include "agent/host.hh"
#include "agent/error.hh"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>

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

std::optional<std::string> readFileCapped(const fs::path & file, std::size_t cap)
{
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return std::nullopt;
        throw Error("cannot open " + file.string() + ": " + std::strerror(errno));
    }
    struct FdCloser { int fd; ~FdCloser() { ::close(fd); } } closer{fd};
    struct stat st{};
    if (::fstat(fd, &st) != 0)
        throw Error("cannot stat " + file.string() + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode))
        throw Error(file.string() + " is a directory, expected a file");
    std::string data;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw Error("cannot read " + file.string() + ": " + std::strerror(errno));
        }
        if (n == 0)
            break;
        if (data.size() + static_cast<std::size_t>(n) > cap)
            throw Error(file.string() + " is larger than the limit of " + std::to_string(cap) + " bytes");
        data.append(buf, static_cast<std::size_t>(n));
    }
    return data;
}

std::optional<std::string> Host::readFile(std::string_view hostPath, std::size_t cap) const
{
    return readFileCapped(path(hostPath), cap);
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

bool Host::exists(std::string_view hostPath) const
{
    std::error_code ec;
    return fs::exists(path(hostPath), ec);
}

bool Host::hasEntry(std::string_view hostPath) const
{
    std::error_code ec;
    return fs::exists(fs::symlink_status(path(hostPath), ec));
}

bool Host::isDirectory(std::string_view hostPath) const
{
    std::error_code ec;
    return fs::is_directory(path(hostPath), ec);
}

bool Host::isSocket(std::string_view hostPath) const
{
    std::error_code ec;
    return fs::is_socket(path(hostPath), ec);
}

std::vector<std::string> Host::list(std::string_view hostPath) const
{
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(path(hostPath), ec), end; !ec && it != end; it.increment(ec))
        names.push_back(it->path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace imprint
