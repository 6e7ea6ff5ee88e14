// The commit: a failure injected at each single step leaves every file as its old or its new
// version, never a mix; the previous overlay is kept and restored; the lock is exclusive.

#include "agent/system/clock.hh"
#include "agent/system/error.hh"
#include "agent/commit/state.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace imprint;
using namespace imprint::test;
namespace fs = std::filesystem;

namespace {

// Forwards to the real filesystem and fails at the N-th operation (0 = never).
class FaultyDisk : public DiskInterface
{
public:
    int failAt = 0;
    int count = 0;
    void step(const std::string & what)
    {
        if (++count == failAt)
            throw Error("injected failure at step " + std::to_string(count) + " (" + what + ")");
    }
    void writeFile(const fs::path & p, std::string_view d, mode_t m) override { step("write " + p.string()); realDisk().writeFile(p, d, m); }
    void fsyncFile(const fs::path & p) override { step("fsync " + p.string()); realDisk().fsyncFile(p); }
    void rename(const fs::path & a, const fs::path & b) override { step("rename " + b.string()); realDisk().rename(a, b); }
    void fsyncDir(const fs::path & d) override { step("fsyncdir " + d.string()); realDisk().fsyncDir(d); }
    void remove(const fs::path & p) override { step("remove " + p.string()); realDisk().remove(p); }
    void makeDirs(const fs::path & d, mode_t m) override { step("mkdir " + d.string()); realDisk().makeDirs(d, m); }
    // Reads and the lock are not steps of a commit: they pass through.
    std::optional<std::string> readFile(const fs::path & p, std::size_t cap) override { return realDisk().readFile(p, cap); }
    std::optional<FileLock> tryLock(const fs::path & p) override { return realDisk().tryLock(p); }
};

State stateFor(const std::string & id)
{
    State s;
    s.instanceId = id;
    s.source = "nocloud";
    s.result = "committed";
    s.committedOverlaySha256 = id + "-sha";
    return s;
}

std::optional<std::string> maybeRead(const fs::path & p)
{
    return fs::exists(p) ? std::optional<std::string>(readFile(p)) : std::nullopt;
}

mode_t modeOf(const fs::path & p)
{
    struct stat st{};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
}

} // namespace

TEST(Commit, WritesEveryFileWithItsMode)
{
    TempDir root;
    Host host(root.path());
    Config config;
    Committer c(realDisk(), host, config);
    c.commit(CommitFiles{"overlay-A", "{\"a\":1}\n", std::string("#cloud-config\npassword: x\n"), stateFor("A")});
    EXPECT_EQ(readFile(root / "var/lib/imprint/host.nix"), "overlay-A");
    EXPECT_EQ(readFile(root / "run/imprint/instance.json"), "{\"a\":1}\n");
    EXPECT_EQ(modeOf(root / "var/lib/imprint/host.nix"), 0644u);
    EXPECT_EQ(modeOf(root / "run/imprint/instance.json"), 0644u);
    EXPECT_EQ(modeOf(root / "run/imprint/user-data"), 0600u);
    EXPECT_EQ(modeOf(root / "var/lib/imprint/state.json"), 0600u);
    EXPECT_FALSE(fs::exists(root / "var/lib/imprint/host.nix.previous"));
    std::string warning;
    auto s = loadState(realDisk(), root / "var/lib/imprint/state.json", warning);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->instanceId, "A");
    // Nothing but the final files: no temp files left behind.
    for (const auto & e : fs::directory_iterator(root / "var/lib/imprint"))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(Commit, KeepsAndRestoresThePreviousOverlay)
{
    TempDir root;
    Host host(root.path());
    Config config;
    {
        Committer c(realDisk(), host, config);
        c.commit(CommitFiles{"overlay-A", "{}", std::nullopt, stateFor("A")});
    }
    Committer c(realDisk(), host, config);
    c.commit(CommitFiles{"overlay-B", "{}", std::nullopt, stateFor("B")});
    EXPECT_EQ(readFile(root / "var/lib/imprint/host.nix.previous"), "overlay-A");
    c.restorePrevious();
    EXPECT_EQ(readFile(root / "var/lib/imprint/host.nix"), "overlay-A");
}

TEST(Commit, RestoreWithoutAPreviousOverlayRemovesIt)
{
    TempDir root;
    Host host(root.path());
    Config config;
    Committer c(realDisk(), host, config);
    c.commit(CommitFiles{"overlay-A", "{}", std::nullopt, stateFor("A")});
    c.restorePrevious();
    EXPECT_FALSE(fs::exists(root / "var/lib/imprint/host.nix"));
}

TEST(Commit, AFailureAtAnyStepLeavesOldOrNewNeverAMix)
{
    // Count the steps of a full commit over an existing one.
    int steps = 0;
    {
        TempDir root;
        Host host(root.path());
        Config config;
        Committer(realDisk(), host, config).commit(CommitFiles{"overlay-A", "json-A", std::string("ud-A"), stateFor("A")});
        FaultyDisk counting;
        Committer(counting, host, config).commit(CommitFiles{"overlay-B", "json-B", std::string("ud-B"), stateFor("B")});
        steps = counting.count;
    }
    ASSERT_GT(steps, 10);
    for (int failAt = 1; failAt <= steps; ++failAt) {
        SCOPED_TRACE("failure injected at step " + std::to_string(failAt));
        TempDir root;
        Host host(root.path());
        Config config;
        Committer(realDisk(), host, config).commit(CommitFiles{"overlay-A", "json-A", std::string("ud-A"), stateFor("A")});
        FaultyDisk faulty;
        faulty.failAt = failAt;
        EXPECT_THROW(Committer(faulty, host, config).commit(CommitFiles{"overlay-B", "json-B", std::string("ud-B"), stateFor("B")}), Error);
        auto overlay = maybeRead(root / "var/lib/imprint/host.nix");
        auto json = maybeRead(root / "run/imprint/instance.json");
        auto ud = maybeRead(root / "run/imprint/user-data");
        ASSERT_TRUE(overlay && json && ud);
        EXPECT_TRUE(*overlay == "overlay-A" || *overlay == "overlay-B") << *overlay;
        EXPECT_TRUE(*json == "json-A" || *json == "json-B") << *json;
        EXPECT_TRUE(*ud == "ud-A" || *ud == "ud-B") << *ud;
        std::string warning;
        auto s = loadState(realDisk(), root / "var/lib/imprint/state.json", warning);
        ASSERT_TRUE(s) << warning;
        EXPECT_TRUE(s->instanceId == "A" || s->instanceId == "B");
        // State is written last: a new state implies the new overlay is in place.
        if (s->instanceId == "B")
            EXPECT_EQ(*overlay, "overlay-B");
        // A later run completes.
        Committer(realDisk(), host, config).commit(CommitFiles{"overlay-B", "json-B", std::string("ud-B"), stateFor("B")});
        EXPECT_EQ(readFile(root / "var/lib/imprint/host.nix"), "overlay-B");
    }
}

TEST(State, NewerVersionAndGarbageAreTreatedAsAbsent)
{
    TempDir dir;
    std::string warning;
    EXPECT_FALSE(loadState(realDisk(), dir / "missing.json", warning));
    EXPECT_TRUE(warning.empty());
    writeFile(dir / "future.json", "{\"version\": 99, \"instance_id\": \"x\"}");
    EXPECT_FALSE(loadState(realDisk(), dir / "future.json", warning));
    EXPECT_NE(warning.find("newer imprint"), std::string::npos);
    warning.clear();
    writeFile(dir / "garbage.json", "{not json");
    EXPECT_FALSE(loadState(realDisk(), dir / "garbage.json", warning));
    EXPECT_FALSE(warning.empty());
}

namespace {
class FakeClock : public Clock
{
public:
    std::chrono::steady_clock::time_point t{};
    int sleeps = 0;
    std::chrono::steady_clock::time_point now() const override { return t; }
    std::chrono::system_clock::time_point wallNow() const override { return {}; }
    void sleepFor(std::chrono::milliseconds d) override { t += d; ++sleeps; }
};
} // namespace

TEST(RunLock, SecondHolderWaitsABoundedTimeThenFails)
{
    TempDir dir;
    FakeClock clock;
    RunLock first(realDisk(), dir / "lock", std::chrono::milliseconds(1000), clock);
    // flock locks belong to open file descriptions: a child process contends like a second run.
    pid_t pid = ::fork();
    if (pid == 0) {
        FakeClock childClock;
        try {
            RunLock second(realDisk(), dir / "lock", std::chrono::milliseconds(1000), childClock);
            ::_exit(1);  // should not get the lock
        } catch (const Error & e) {
            bool clear = std::string(e.what()).find("another imprint run holds") != std::string::npos;
            ::_exit(clear && childClock.sleeps == 10 ? 0 : 2);
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(RunLock, IsFreeAgainAfterRelease)
{
    TempDir dir;
    FakeClock clock;
    { RunLock first(realDisk(), dir / "lock", std::chrono::milliseconds(0), clock); }
    EXPECT_NO_THROW(RunLock(realDisk(), dir / "lock", std::chrono::milliseconds(0), clock));
}

TEST(AtomicWrite, NeverWritesThroughAPlantedTemporaryName)
{
    TempDir root;
    fs::path target = root / "host.nix";
    fs::path victim = root / "victim";
    writeFile(victim, "untouched");
    // A symlink where the temporary goes, and a stale temporary left by a killed run.
    fs::create_symlink(victim, root / ".host.nix.tmp");
    atomicWrite(realDisk(), target, "overlay", 0644);
    EXPECT_EQ(readFile(victim), "untouched");
    EXPECT_EQ(readFile(target), "overlay");
    EXPECT_FALSE(fs::exists(fs::symlink_status(root / ".host.nix.tmp")));
    writeFile(root / ".host.nix.tmp", "stale");
    atomicWrite(realDisk(), target, "overlay 2", 0644);
    EXPECT_EQ(readFile(target), "overlay 2");
    EXPECT_EQ(modeOf(target), 0644u);
    // The write itself is exclusive: a name that exists is refused, not truncated.
    writeFile(root / "exists", "keep");
    EXPECT_THROW(realDisk().writeFile(root / "exists", "new", 0600), Error);
    EXPECT_EQ(readFile(root / "exists"), "keep");
}

TEST(RunLock, WaitsOnTheInjectedDiskAndClock)
{
    // A disk whose lock is always held by someone else, and a fake clock: the lock gives up at
    // its timeout without any real time passing, and never touches the real file system.
    struct BusyDisk : FaultyDisk
    {
        int attempts = 0;
        std::optional<FileLock> tryLock(const fs::path &) override
        {
            ++attempts;
            return std::nullopt;
        }
        void makeDirs(const fs::path &, mode_t) override {}
    } disk;
    FakeClock clock;
    EXPECT_THROW(RunLock(disk, "/nonexistent/run/imprint/lock", std::chrono::milliseconds(1000), clock), Error);
    EXPECT_EQ(disk.attempts, 11);  // at 0, 100, ..., 1000 ms
}
