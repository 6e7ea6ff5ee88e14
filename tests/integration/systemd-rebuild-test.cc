// The rebuild as a transient unit, against a real dbus-daemon and a systemd1 stand-in that
// really runs the command (tests/support/systemd-standin-helpers.hh).

#include "agent/system/sd-bus.hh"
#include "agent/apply/systemd-rebuild.hh"
#include "tests/support/dbus-helpers.hh"
#include "tests/support/systemd-standin-helpers.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>
#include <unistd.h>

using namespace imprint;
using namespace imprint::test;
using namespace std::chrono_literals;

namespace {

class SystemdRebuildTest : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (!haveDbusDaemon())
            GTEST_SKIP() << "dbus-daemon is not installed (scripts/install-deps.sh --tests installs it): "
                            "the systemd rebuild path is NOT tested";
        bus_ = std::make_unique<PrivateBus>();
    }
    void TearDown() override
    {
        standIns_.reset();  // stops its thread and its children before the bus goes
        bus_.reset();
    }

    BusStandIns & standIns(StandInOptions options = {})
    {
        standIns_ = std::make_unique<BusStandIns>(std::move(options));
        return *standIns_;
    }

    static SystemdRebuildOptions quick(std::chrono::milliseconds timeout = 10s, std::chrono::milliseconds slack = 2s)
    {
        SystemdRebuildOptions o;
        o.timeout = timeout;
        o.slack = slack;
        return o;
    }

    static std::size_t indexOf(const std::vector<std::string> & calls, const std::string & name)
    {
        return std::find(calls.begin(), calls.end(), name) - calls.begin();
    }

    std::unique_ptr<PrivateBus> bus_;
    std::unique_ptr<BusStandIns> standIns_;
};

std::string tempPath(const std::string & name)
{
    return (std::filesystem::temp_directory_path() / ("imprint-" + std::to_string(getpid()) + "-" + name)).string();
}

} // namespace

TEST_F(SystemdRebuildTest, SuccessRunsTheCommandAsATransientOneshotUnit)
{
    auto & fake = standIns();
    auto marker = tempPath("rebuilt");
    std::filesystem::remove(marker);

    SystemdRebuilder rebuilder(quick());
    auto outcome = rebuilder.rebuild({"touch", marker});

    EXPECT_TRUE(outcome.ok) << outcome.reason;
    EXPECT_TRUE(std::filesystem::exists(marker)) << "the command did not really run";
    std::filesystem::remove(marker);

    auto units = fake.units();
    ASSERT_EQ(units.size(), 1u);
    EXPECT_EQ(units[0].method, "StartTransientUnit");
    EXPECT_EQ(units[0].name, "imprint-rebuild.service");
    EXPECT_EQ(units[0].mode, "fail");
    EXPECT_EQ(units[0].type, "oneshot");
    EXPECT_TRUE(units[0].addRef);
    EXPECT_EQ(units[0].collectMode, "inactive-or-failed");
    EXPECT_EQ(units[0].timeoutStartUSec, 10'000'000u);
    EXPECT_EQ(units[0].argv, (std::vector<std::string>{"touch", marker}));
    EXPECT_TRUE(units[0].exe.starts_with("/")) << "ExecStart path must be absolute: " << units[0].exe;
    EXPECT_EQ(units[0].jobResult, "done");
    bool passesPath = std::any_of(units[0].environment.begin(), units[0].environment.end(),
        [](auto & e) { return e.starts_with("PATH="); });
    EXPECT_TRUE(passesPath) << "the unit must get imprint's PATH";

    // Subscribe (and the JobRemoved match) come before the start: systemd's own order.
    auto calls = fake.calls();
    EXPECT_LT(indexOf(calls, "Subscribe"), indexOf(calls, "StartTransientUnit"));
    // The reference (AddRef) was dropped, so the finished unit is collected.
    EXPECT_TRUE(fake.waitUntil([&] { return !fake.isLoaded("imprint-rebuild.service"); }, 2s));
}

TEST_F(SystemdRebuildTest, FailedUnitGivesTheReasonFromItsResult)
{
    auto & fake = standIns();
    SystemdRebuilder rebuilder(quick());
    auto outcome = rebuilder.rebuild({"false"});

    EXPECT_FALSE(outcome.ok);
    EXPECT_NE(outcome.reason.find("exited with status 1"), std::string::npos) << outcome.reason;
    EXPECT_NE(outcome.reason.find("job result: failed"), std::string::npos) << outcome.reason;
    EXPECT_NE(outcome.reason.find("unit result: exit-code"), std::string::npos) << outcome.reason;
    EXPECT_NE(outcome.reason.find("journalctl -u imprint-rebuild.service"), std::string::npos) << outcome.reason;
    // Failed, but collected (CollectMode=inactive-or-failed): the next run can start again.
    EXPECT_TRUE(fake.waitUntil([&] { return !fake.isLoaded("imprint-rebuild.service"); }, 2s));
    EXPECT_TRUE(rebuilder.rebuild({"true"}).ok);
}

TEST_F(SystemdRebuildTest, MissingCommandIsAFailureNotACrash)
{
    standIns();
    SystemdRebuilder rebuilder(quick());
    auto outcome = rebuilder.rebuild({"imprint-no-such-command-xyz"});
    EXPECT_FALSE(outcome.ok);
    EXPECT_NE(outcome.reason.find("cannot find imprint-no-such-command-xyz"), std::string::npos) << outcome.reason;
}

TEST_F(SystemdRebuildTest, UnitTimeoutStopsTheRebuild)
{
    auto & fake = standIns();
    SystemdRebuilder rebuilder(quick(300ms, 5s));
    auto begin = std::chrono::steady_clock::now();
    auto outcome = rebuilder.rebuild({"sleep", "30"});
    auto took = std::chrono::steady_clock::now() - begin;

    EXPECT_FALSE(outcome.ok);
    EXPECT_NE(outcome.reason.find("did not finish within its timeout"), std::string::npos) << outcome.reason;
    EXPECT_NE(outcome.reason.find("job result: timeout"), std::string::npos) << outcome.reason;
    EXPECT_LT(took, 3s);
    ASSERT_EQ(fake.units().size(), 1u);
    EXPECT_EQ(fake.units()[0].timeoutStartUSec, 300'000u);
}

TEST_F(SystemdRebuildTest, ManagerThatNeverReportsTheJobIsABoundedWaitAndStopsTheUnit)
{
    StandInOptions options;
    options.neverRemoveJobs = true;
    auto & fake = standIns(options);
    SystemdRebuilder bounded(quick(200ms, 300ms));

    auto begin = std::chrono::steady_clock::now();
    auto outcome = bounded.rebuild({"sleep", "30"});
    EXPECT_FALSE(outcome.ok);
    EXPECT_NE(outcome.reason.find("did not report the end"), std::string::npos) << outcome.reason;
    EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);
    auto calls = fake.calls();
    EXPECT_NE(std::find(calls.begin(), calls.end(), "StopUnit"), calls.end()) << "the abandoned rebuild must be stopped";
}

TEST_F(SystemdRebuildTest, BusDroppingMidWaitIsAnErrorNotAHang)
{
    StandInOptions options;
    auto daemon = bus_.get();
    options.onJobStarted = [daemon] {
        std::this_thread::sleep_for(100ms);  // imprint is in its wait for JobRemoved by now
        daemon->kill();
    };
    standIns(options);
    SystemdRebuilder rebuilder(quick(20s, 5s));

    auto begin = std::chrono::steady_clock::now();
    try {
        rebuilder.rebuild({"sleep", "10"});
        FAIL() << "expected an error";
    } catch (bus::BusError & e) {
        EXPECT_TRUE(e.isDisconnect()) << e.name();
        EXPECT_NE(std::string(e.what()).find("lost the system bus"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);
}

TEST_F(SystemdRebuildTest, SecondRunWaitsForTheRebuildStillRunning)
{
    // `systemctl restart imprint` during a rebuild: the old imprint is gone, its rebuild unit
    // keeps running. Start it from a client that then disconnects, as the old imprint did.
    auto & fake = standIns();
    {
        auto client = bus::Bus::openSystem();
        auto start = client.newMethodCall("org.freedesktop.systemd1", "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        start.append("ss", "imprint-rebuild.service", "fail");
        start.openContainer('a', "(sv)");
        start.append("(sv)", "Type", "s", "oneshot");
        start.openContainer('r', "sv");
        start.append("s", "ExecStart");
        start.openContainer('v', "a(sasb)");
        start.openContainer('a', "(sasb)");
        start.openContainer('r', "sasb");
        start.append("s", "/bin/sleep");
        start.appendStrings({"sleep", "0.7"});
        start.append("b", 0);
        for (int i = 0; i < 4; ++i)
            start.closeContainer();
        start.closeContainer();
        start.append("a(sa(sv))", 0);
        client.call(start);
    }
    ASSERT_TRUE(fake.isLoaded("imprint-rebuild.service"));

    SystemdRebuilder rebuilder(quick());
    auto outcome = rebuilder.rebuild({"true"});
    EXPECT_TRUE(outcome.ok) << outcome.reason;

    auto units = fake.units();
    ASSERT_EQ(units.size(), 2u);
    EXPECT_EQ(units[0].jobResult, "done");
    EXPECT_GE(units[1].started, units[0].finished) << "two rebuilds ran at the same time";
}

TEST_F(SystemdRebuildTest, FailedLeftoverUnitIsResetBeforeStarting)
{
    auto & fake = standIns();
    {
        // A failed rebuild unit without CollectMode stays loaded, as on a real system.
        auto client = bus::Bus::openSystem();
        auto start = client.newMethodCall("org.freedesktop.systemd1", "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        start.append("ss", "imprint-rebuild.service", "fail");
        start.openContainer('a', "(sv)");
        start.openContainer('r', "sv");
        start.append("s", "ExecStart");
        start.openContainer('v', "a(sasb)");
        start.openContainer('a', "(sasb)");
        start.openContainer('r', "sasb");
        start.append("s", "/bin/false");
        start.appendStrings({"false"});
        start.append("b", 0);
        for (int i = 0; i < 4; ++i)
            start.closeContainer();
        start.closeContainer();
        start.append("a(sa(sv))", 0);
        client.call(start);
    }
    ASSERT_TRUE(fake.waitUntil([&] { auto u = fake.units(); return !u.empty() && !u[0].jobResult.empty(); }, 2s));
    ASSERT_TRUE(fake.isLoaded("imprint-rebuild.service"));

    SystemdRebuilder rebuilder(quick());
    auto outcome = rebuilder.rebuild({"true"});
    EXPECT_TRUE(outcome.ok) << outcome.reason;
    auto calls = fake.calls();
    EXPECT_NE(std::find(calls.begin(), calls.end(), "ResetFailedUnit"), calls.end());
}

TEST_F(SystemdRebuildTest, NoManagerOnTheBusIsAFailedRebuild)
{
    standIns(StandInOptions{.systemd = false, .hostnamed = true});
    SystemdRebuilder rebuilder(quick());
    auto outcome = rebuilder.rebuild({"true"});
    EXPECT_FALSE(outcome.ok);
    EXPECT_NE(outcome.reason.find("could not start the rebuild unit"), std::string::npos) << outcome.reason;
    EXPECT_NE(outcome.reason.find("org.freedesktop.DBus.Error.ServiceUnknown"), std::string::npos) << outcome.reason;
    EXPECT_NE(outcome.reason.find("org.freedesktop.systemd1.Manager.Subscribe"), std::string::npos) << outcome.reason;
}
