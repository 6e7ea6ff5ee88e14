// `systemd-analyze verify` on every unit in units/. The units call `imprint` by name (systemd
// resolves it in its fixed search path); verify insists that the command exists, so the copies
// verified here name the binary just built instead. Nothing else is changed.

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

extern char ** environ;

namespace {

constexpr const char * kAnalyze = "/usr/bin/systemd-analyze";

// Runs argv (no shell) and returns its exit status and combined output.
std::pair<int, std::string> runCapture(const std::vector<std::string> & argv)
{
    int fds[2];
    if (pipe(fds) != 0)
        return {-1, "pipe failed"};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char *> args;
    for (auto & a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid;
    int r = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    std::string out;
    std::array<char, 4096> buf;
    ssize_t n;
    while ((n = read(fds[0], buf.data(), buf.size())) > 0)
        out.append(buf.data(), n);
    close(fds[0]);
    if (r != 0)
        return {-1, "cannot run " + argv[0]};
    int status = 0;
    waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

} // namespace

TEST(Units, SystemdAnalyzeVerifyIsClean)
{
    if (access(kAnalyze, X_OK) != 0)
        GTEST_SKIP() << "systemd-analyze is not installed (package systemd, scripts/install-deps.sh --tests): "
                        "the units in units/ are NOT verified";
    fs::path units = fs::path(IMPRINT_SOURCE_DIR) / "units";
    auto dir = fs::temp_directory_path() / ("imprint-units-" + std::to_string(getpid()));
    fs::create_directories(dir);
    std::vector<std::string> argv{kAnalyze, "verify"};
    int count = 0;
    for (auto & entry : fs::directory_iterator(units)) {
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        auto rewritten = text.str();
        const std::string from = "\nExecStart=imprint ", to = "\nExecStart=" IMPRINT_BINARY " ";
        for (auto pos = rewritten.find(from); pos != std::string::npos; pos = rewritten.find(from, pos + to.size()))
            rewritten.replace(pos, from.size(), to);
        auto copy = dir / entry.path().filename();
        std::ofstream(copy) << rewritten;
        argv.push_back(copy.string());
        ++count;
    }
    ASSERT_GE(count, 2) << "units/ should hold imprint.service and imprint-local.service";
    auto [status, output] = runCapture(argv);
    fs::remove_all(dir);
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(output, "") << "systemd-analyze verify has something to say";
}

TEST(Units, DisableSwitchesAndOrdering)
{
    // The switches the README documents, on both imprint units.
    for (auto name : {"imprint.service", "imprint-local.service"}) {
        std::ifstream in(fs::path(IMPRINT_SOURCE_DIR) / "units" / name);
        std::stringstream text;
        text << in.rdbuf();
        auto s = text.str();
        EXPECT_NE(s.find("ConditionKernelCommandLine=!imprint=off"), std::string::npos) << name;
        EXPECT_NE(s.find("ConditionPathExists=!/etc/imprint/imprint.disabled"), std::string::npos) << name;
        EXPECT_NE(s.find("Before=sshd.service systemd-user-sessions.service"), std::string::npos) << name;
        EXPECT_NE(s.find("TimeoutStartSec="), std::string::npos) << name;
    }
}
