// The real binary's run flow through the systemd path: imprint believes PID 1 is systemd (a
// private mount namespace with /run/systemd/system, which is what sd_booted() checks), its system
// bus is the test's private dbus-daemon (DBUS_SYSTEM_BUS_ADDRESS) and systemd1 a stand-in that
// really runs the rebuild command.

#include "tests/support/dbus-helpers.hh"
#include "tests/support/systemd-standin-helpers.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace imprint::test;
namespace fs = std::filesystem;

namespace {

// Runs the imprint binary in a mount namespace where /run/systemd/system exists. Exit code 125
// means the namespace could not be set up (reported as a skip).
Result runUnderFakeSystemd(const std::vector<std::string> & args, const fs::path & outDir)
{
    std::vector<std::string> all{IMPRINT_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto & a : all)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    auto outPath = (outDir / "out").string(), errPath = (outDir / "err").string();
    pid_t pid = fork();
    if (pid == 0) {
        int out = open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(out, 1);
        dup2(err, 2);
        if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0
            || mount("tmpfs", "/run/systemd", "tmpfs", 0, "mode=0755") != 0 || mkdir("/run/systemd/system", 0755) != 0)
            _exit(125);
        execv(argv[0], argv.data());
        _exit(127);
    }
    Result r;
    int status = 0;
    waitpid(pid, &status, 0);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = readFile(outPath);
    r.err = readFile(errPath);
    return r;
}

} // namespace

TEST(SystemdRun, FailedRebuildUnitRestoresThePreviousOverlay)
{
    if (!haveDbusDaemon())
        GTEST_SKIP() << "dbus-daemon is not installed: the run flow through systemd is NOT tested";
    PrivateBus bus;
    auto fake = std::make_unique<BusStandIns>();
    FakeMachine m;
    auto root = m.root().string();
    auto config = [&](const char * command) {
        writeFile(m.root() / "etc/imprint/imprint.yaml",
            std::string("rebuild:\n  command: [\"") + command + "\"]\n  timeout_ms: 20000\n");
    };

    config("/bin/true");
    m.installSeed("nocloud/plain");
    auto first = runUnderFakeSystemd({"--root", root, "run"}, m.root());
    if (first.exitCode == 125)
        GTEST_SKIP() << "cannot make a mount namespace here (needs CAP_SYS_ADMIN): the run flow through systemd is NOT tested";
    ASSERT_EQ(first.exitCode, 0) << first.out << first.err;
    auto units = fake->units();
    ASSERT_EQ(units.size(), 1u) << "the rebuild did not go through systemd: " << first.err;
    EXPECT_EQ(units[0].name, "imprint-rebuild.service");
    EXPECT_EQ(units[0].argv[0], "/bin/true");
    EXPECT_EQ(units[0].argv[1], "switch");
    std::string good = readFile(m.root() / "var/lib/imprint/host.nix");

    // A new identity and a rebuild that fails: the unit's result gives the reason, the previous
    // overlay comes back, state and `imprint status` say why, exit 1.
    config("/bin/false");
    m.installSeed("nocloud/gzip");
    auto failed = runUnderFakeSystemd({"--root", root, "run"}, m.root());
    EXPECT_EQ(failed.exitCode, 1) << failed.out << failed.err;
    EXPECT_EQ(fake->units().size(), 2u);
    EXPECT_NE(failed.err.find("exited with status 1"), std::string::npos) << failed.err;
    EXPECT_NE(failed.err.find("unit result: exit-code"), std::string::npos) << failed.err;
    EXPECT_EQ(readFile(m.root() / "var/lib/imprint/host.nix"), good);
    auto state = nlohmann::json::parse(readFile(m.root() / "var/lib/imprint/state.json"));
    EXPECT_EQ(state["result"], "failed");
    EXPECT_NE(state["reason"].get<std::string>().find("journalctl -u imprint-rebuild.service"), std::string::npos) << state.dump();

    // --no-systemd: the same run goes through direct exec, not the bus.
    config("/bin/true");
    auto direct = runUnderFakeSystemd({"--root", root, "--no-systemd", "run"}, m.root());
    EXPECT_EQ(direct.exitCode, 0) << direct.err;
    EXPECT_EQ(fake->units().size(), 2u) << "--no-systemd must not start a unit";
    fake.reset();
}
