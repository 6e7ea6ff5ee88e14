// An LD_PRELOAD shim for the crash harness (tests/integration/crash-safety.cc): it numbers every
// state-changing filesystem call a process makes under $IMPRINT_CRASH_ROOT — file creation,
// write, fsync/fdatasync, rename, unlink/remove, mkdir — and sends itself SIGKILL just before the
// call numbered $IMPRINT_CRASH_AT. With $IMPRINT_CRASH_LOG set, each call is appended there as
// "N kind path" first, so a test learns how many steps a run has and kills it at each one.
// With $IMPRINT_FAIL_FROM=N and $IMPRINT_FAIL_ERRNO=E instead, call N and every later one fail
// with errno E without touching the disk (ENOSPC: the disk filled up; EROFS: it went read-only).
// Built without sanitizers: it must load in front of anything.

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

std::atomic<long> counter{0};

const char * crashRoot()
{
    static const char * root = std::getenv("IMPRINT_CRASH_ROOT");
    return root && *root ? root : nullptr;
}

bool underRoot(const char * path)
{
    const char * root = crashRoot();
    if (!root || !path)
        return false;
    std::size_t n = std::strlen(root);
    return std::strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

bool fdPath(int fd, char * buf, std::size_t size)
{
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = ::readlink(link, buf, size - 1);
    if (n < 0)
        return false;
    buf[n] = '\0';
    return true;
}

void rawAppend(const char * file, const char * line)
{
    int fd = static_cast<int>(::syscall(SYS_openat, AT_FDCWD, file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd < 0)
        return;
    ::syscall(SYS_write, fd, line, std::strlen(line));
    ::syscall(SYS_close, fd);
}

long envLong(const char * name)
{
    const char * s = std::getenv(name);
    return s ? std::atol(s) : 0L;
}

// Returns false when the call must fail (errno set) instead of running.
bool event(const char * kind, const char * path)
{
    long n = ++counter;
    if (const char * log = std::getenv("IMPRINT_CRASH_LOG"); log && *log) {
        char line[4200];
        std::snprintf(line, sizeof line, "%ld %s %s\n", n, kind, path);
        rawAppend(log, line);
    }
    static long at = [] {
        const char * s = std::getenv("IMPRINT_CRASH_AT");
        return s ? std::atol(s) : 0L;
    }();
    if (at > 0 && n == at)
        ::syscall(SYS_kill, ::getpid(), SIGKILL);
    static long failFrom = envLong("IMPRINT_FAIL_FROM");
    static int failErrno = static_cast<int>(envLong("IMPRINT_FAIL_ERRNO"));
    if (failFrom > 0 && n >= failFrom && failErrno > 0) {
        errno = failErrno;
        return false;
    }
    return true;
}

bool fdEvent(const char * kind, int fd)
{
    if (!crashRoot())
        return true;
    char path[4096];
    if (fdPath(fd, path, sizeof path) && underRoot(path))
        return event(kind, path);
    return true;
}

template<typename F>
F real(const char * name)
{
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

} // namespace

extern "C" {

ssize_t write(int fd, const void * buf, size_t n)
{
    static auto next = real<ssize_t (*)(int, const void *, size_t)>("write");
    if (!fdEvent("write", fd))
        return -1;
    return next(fd, buf, n);
}

int fsync(int fd)
{
    static auto next = real<int (*)(int)>("fsync");
    if (!fdEvent("fsync", fd))
        return -1;
    return next(fd);
}

int fdatasync(int fd)
{
    static auto next = real<int (*)(int)>("fdatasync");
    if (!fdEvent("fdatasync", fd))
        return -1;
    return next(fd);
}

int rename(const char * from, const char * to)
{
    static auto next = real<int (*)(const char *, const char *)>("rename");
    if ((underRoot(to) || underRoot(from)) && !event("rename", to))
        return -1;
    return next(from, to);
}

int renameat(int fromDir, const char * from, int toDir, const char * to)
{
    static auto next = real<int (*)(int, const char *, int, const char *)>("renameat");
    if (underRoot(to) && !event("rename", to))
        return -1;
    return next(fromDir, from, toDir, to);
}

int unlink(const char * path)
{
    static auto next = real<int (*)(const char *)>("unlink");
    if (underRoot(path) && !event("unlink", path))
        return -1;
    return next(path);
}

int remove(const char * path)
{
    static auto next = real<int (*)(const char *)>("remove");
    if (underRoot(path) && !event("remove", path))
        return -1;
    return next(path);
}

int mkdir(const char * path, mode_t mode)
{
    static auto next = real<int (*)(const char *, mode_t)>("mkdir");
    if (underRoot(path) && !event("mkdir", path))
        return -1;
    return next(path, mode);
}

int open(const char * path, int flags, ...)
{
    static auto next = real<int (*)(const char *, int, ...)>("open");
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if ((flags & (O_CREAT | O_TRUNC)) && underRoot(path) && !event("create", path))
        return -1;
    return next(path, flags, mode);
}

int open64(const char * path, int flags, ...)
{
    static auto next = real<int (*)(const char *, int, ...)>("open64");
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if ((flags & (O_CREAT | O_TRUNC)) && underRoot(path) && !event("create", path))
        return -1;
    return next(path, flags, mode);
}

} // extern "C"
