#pragma once
// Running a local tool as an argv (never a shell), bounded: its output is read up to a cap and
// it is killed at a deadline. For tools that read the platform's local channel (VMware's
// vmware-rpctool), not for the rebuild (agent/apply).

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace imprint {

struct CommandResult
{
    int exitCode = -1;  // 128 + signal when killed
    std::string out;
    std::string err;
};

// Runs argv[0] (an absolute path) with `argv`, stdin from /dev/null and an empty environment.
// Throws Error naming the program when it cannot start, when it runs past `timeout` (it is then
// killed), or when it writes more than `cap` bytes to stdout or stderr.
CommandResult runCommand(const std::vector<std::string> & argv, std::chrono::milliseconds timeout, std::size_t cap);

} // namespace imprint
