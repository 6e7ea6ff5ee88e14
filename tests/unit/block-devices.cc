// Waiting for udev to probe the block devices before looking for seed media by label: only
// where udev runs, only for devices that could hold a seed, bounded, on the injected clock.

#include "agent/detect/block-devices.hh"
#include "tests/support/detect-helpers.hh"

#include <gtest/gtest.h>

#include <filesystem>

using namespace imprint;
using namespace imprint::test;

namespace {

// A clock whose sleeps pass instantly and may run a step (udev finishing) after the n-th one.
class SteppingClock : public Clock
{
public:
    std::chrono::steady_clock::time_point t{};
    int sleeps = 0;
    int stepAfter = -1;
    std::function<void()> step;
    std::chrono::steady_clock::time_point now() const override { return t; }
    std::chrono::system_clock::time_point wallNow() const override { return {}; }
    void sleepFor(std::chrono::milliseconds d) override
    {
        t += d;
        if (++sleeps == stepAfter && step)
            step();
    }
};

void blockDevice(FakeRoot & root, const std::string & name, const std::string & dev)
{
    root.file("/sys/class/block/" + name + "/dev", dev + "\n");
}

} // namespace

TEST(BlockDevices, OnlyUnprobedSeedCandidatesWhereUdevRuns)
{
    FakeRoot root;
    blockDevice(root, "sr0", "11:0");
    blockDevice(root, "vda", "254:0");
    blockDevice(root, "loop0", "7:0");
    blockDevice(root, "fd0", "2:0");  // a floppy: udev keeps no record of it, so it is not waited for
    EXPECT_TRUE(blockDevicesNotYetProbed(Host(root.dir())).empty()) << "no udev (a container): nothing to wait for";
    root.socket("/run/udev/control");
    root.file("/run/udev/data/b254:0", "E:ID_FS_TYPE=ext4\n");
    EXPECT_EQ(blockDevicesNotYetProbed(Host(root.dir())), std::vector<std::string>{"sr0"});
    // Events still queued: a driver (sr_mod) may be loading, and its devices are not there yet.
    root.file("/run/udev/queue", "");
    EXPECT_EQ(blockDevicesNotYetProbed(Host(root.dir())), (std::vector<std::string>{"queued events", "sr0"}));
}

TEST(BlockDevices, WaitsUntilUdevHasProbedThemAndSaysSo)
{
    FakeRoot root;
    root.socket("/run/udev/control");
    blockDevice(root, "sr0", "11:0");
    SteppingClock clock;
    clock.stepAfter = 3;
    clock.step = [&] { root.file("/run/udev/data/b11:0", "E:ID_FS_LABEL=cidata\n"); };
    auto said = waitForBlockDevicesProbed(Host(root.dir()), clock, kBlockDeviceProbeTimeout);
    ASSERT_TRUE(said);
    EXPECT_EQ(*said, "waited 150 ms for udev (sr0) before looking for seed media");
    EXPECT_FALSE(waitForBlockDevicesProbed(Host(root.dir()), clock, kBlockDeviceProbeTimeout)) << "nothing left: no wait";
}

TEST(BlockDevices, GivesUpAtItsBound)
{
    FakeRoot root;
    root.socket("/run/udev/control");
    blockDevice(root, "sr0", "11:0");
    SteppingClock clock;
    auto said = waitForBlockDevicesProbed(Host(root.dir()), clock, std::chrono::milliseconds(1000));
    ASSERT_TRUE(said);
    EXPECT_EQ(*said, "udev was not done (sr0) after 1000 ms; looking for seed media anyway");
    EXPECT_EQ(clock.sleeps, 20);
}
