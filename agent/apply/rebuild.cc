#include "agent/apply/rebuild.hh"
#include "agent/system/error.hh"

#include <cerrno>
#include <cstring>
#include <spawn.h>
#include <sys/wait.h>

extern char ** environ;

namespace imprint {

std::vector<std::string> rebuildArgv(const RebuildConfig & c)
{
    std::vector<std::string> argv = c.command;
    argv.push_back(c.action);
    if (c.flake)
        argv.insert(argv.end(), {"--flake", *c.flake + "#" + c.attribute.value_or("")});
    if (c.offline)
        argv.insert(argv.end(), {"--option", "substitute", "false"});
    argv.insert(argv.end(), c.extraArgs.begin(), c.extraArgs.end());
    return argv;
}

RebuildOutcome DirectRebuilder::rebuild(const std::vector<std::string> & argv)
{
    if (argv.empty())
        throw Error("the rebuild command is empty");
    std::vector<char *> args;
    for (const auto & a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid;
    int rc = ::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ);
    if (rc != 0)
        return {false, "cannot start " + argv[0] + ": " + std::strerror(rc)};
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return {false, "cannot wait for " + argv[0] + ": " + std::strerror(errno)};
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return {true, ""};
    if (WIFEXITED(status))
        return {false, argv[0] + " exited with status " + std::to_string(WEXITSTATUS(status))};
    if (WIFSIGNALED(status))
        return {false, argv[0] + " was killed by signal " + std::to_string(WTERMSIG(status))};
    return {false, argv[0] + " ended abnormally"};
}

std::string displayArgv(const std::vector<std::string> & argv)
{
    std::string out;
    for (const auto & a : argv) {
        if (!out.empty())
            out += ' ';
        bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`;&|<>(){}*?[]#~") == std::string::npos;
        if (plain) {
            out += a;
        } else {
            out += '\'';
            for (char c : a)
                out += c == '\'' ? std::string("'\\''") : std::string(1, c);
            out += '\'';
        }
    }
    return out;
}

} // namespace imprint
