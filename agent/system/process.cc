#include "agent/system/process.hh"

#include "agent/system/error.hh"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace imprint {

namespace {

struct Pipe
{
    int fd[2] = {-1, -1};
    Pipe()
    {
        if (::pipe2(fd, O_CLOEXEC) != 0)
            throw Error(std::string("pipe: ") + std::strerror(errno));
    }
    ~Pipe()
    {
        for (int f : fd)
            if (f >= 0)
                ::close(f);
    }
    void closeEnd(int i)
    {
        ::close(fd[i]);
        fd[i] = -1;
    }
};

int waitFor(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

} // namespace

CommandResult runCommand(const std::vector<std::string> & argv, std::chrono::milliseconds timeout, std::size_t cap)
{
    const std::string & program = argv.at(0);
    Pipe out, err;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
    std::vector<char *> args;
    for (const auto & a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    char * noEnvironment[] = {nullptr};
    pid_t pid;
    int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, args.data(), noEnvironment);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw Error("cannot run " + program + ": " + std::strerror(rc));
    out.closeEnd(1);
    err.closeEnd(1);

    CommandResult result;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string problem;
    pollfd fds[2] = {{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}};
    std::string * sinks[2] = {&result.out, &result.err};
    int open = 2;
    while (open > 0 && problem.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            problem = "did not finish within " + std::to_string(timeout.count()) + " ms";
            break;
        }
        if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR)
            problem = std::string("poll: ") + std::strerror(errno);
        for (int i = 0; i < 2 && problem.empty(); ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
                if (sinks[i]->size() > cap)
                    problem = "wrote more than " + std::to_string(cap) + " bytes";
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open;
            }
        }
    }
    if (!problem.empty())
        ::kill(pid, SIGKILL);
    result.exitCode = waitFor(pid);
    if (!problem.empty())
        throw Error(program + " " + problem);
    return result;
}

} // namespace imprint
