// Root device discovery from mountinfo fixtures and fake /dev/disk trees.

#include "agent/system/error.hh"
#include "agent/normalize/root-device.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using namespace imprint::test;
namespace fs = std::filesystem;

namespace {
struct Machine
{
    TempDir root;
    Host host{root.path()};
    void mountinfo(const std::string & name) { writeFile(root / "proc/self/mountinfo", readFile(fixture("mountinfo/" + name))); }
    void link(const std::string & dir, const std::string & name, const std::string & target)
    {
        fs::create_directories(root / ("dev/disk/" + dir));
        fs::create_symlink(target, root / ("dev/disk/" + dir + "/" + name));
    }
};
} // namespace

TEST(RootDevice, ParsesMountInfoWithEscapes)
{
    auto entries = parseMountInfo(readFile(fixture("mountinfo/vm-ext4")), "mountinfo");
    ASSERT_EQ(entries.size(), 5u);
    EXPECT_EQ(entries[0].mountPoint, "/");
    EXPECT_EQ(entries[0].fsType, "ext4");
    EXPECT_EQ(entries[0].source, "/dev/vda1");
    EXPECT_EQ(entries[0].majorMinor, "254:1");
    EXPECT_EQ(entries[4].mountPoint, "/mnt/my data");
    EXPECT_THROW(parseMountInfo("garbage line\n", "mountinfo"), Error);
}

TEST(RootDevice, PrefersByUuid)
{
    Machine m;
    m.mountinfo("vm-ext4");
    m.link("by-label", "nixos", "../../vda1");
    m.link("by-partuuid", "1234-01", "../../vda1");
    m.link("by-uuid", "0b2c7a8e-4f1d", "../../vda1");
    m.link("by-uuid", "ffff-other", "../../vda2");
    auto dev = discoverRootDevice(m.host);
    ASSERT_TRUE(dev);
    EXPECT_EQ(dev->device, "/dev/disk/by-uuid/0b2c7a8e-4f1d");
    EXPECT_EQ(dev->fsType, "ext4");
}

TEST(RootDevice, FallsBackToPartUuidThenLabel)
{
    Machine m;
    m.mountinfo("vm-ext4");
    m.link("by-label", "nixos", "../../vda1");
    EXPECT_EQ(discoverRootDevice(m.host)->device, "/dev/disk/by-label/nixos");
    m.link("by-partuuid", "1234-01", "../../vda1");
    EXPECT_EQ(discoverRootDevice(m.host)->device, "/dev/disk/by-partuuid/1234-01");
}

TEST(RootDevice, DevRootIsResolvedThroughSysfs)
{
    Machine m;
    m.mountinfo("dev-root");
    writeFile(m.root / "sys/dev/block/8:3/uevent", "MAJOR=8\nMINOR=3\nDEVNAME=sda3\nDEVTYPE=partition\n");
    m.link("by-uuid", "abcd", "../../sda3");
    auto dev = discoverRootDevice(m.host);
    ASSERT_TRUE(dev);
    EXPECT_EQ(dev->device, "/dev/disk/by-uuid/abcd");
    EXPECT_EQ(dev->fsType, "btrfs");
}

TEST(RootDevice, DevRootWithoutAnyNameIsUnknown)
{
    Machine m;
    m.mountinfo("dev-root");
    EXPECT_FALSE(discoverRootDevice(m.host));
}

TEST(RootDevice, LvmThroughDeviceMapper)
{
    Machine m;
    m.mountinfo("lvm");
    writeFile(m.root / "sys/dev/block/253:0/uevent", "MAJOR=253\nMINOR=0\nDEVNAME=dm-0\n");
    m.link("by-uuid", "lvm-uuid", "../../dm-0");
    EXPECT_EQ(discoverRootDevice(m.host)->device, "/dev/disk/by-uuid/lvm-uuid");
}

TEST(RootDevice, ContainersHaveNone)
{
    Machine m;
    m.mountinfo("container-overlay");
    EXPECT_FALSE(discoverRootDevice(m.host));
}

TEST(RootDevice, ZfsDatasetIsNamedAsItIs)
{
    Machine m;
    m.mountinfo("zfs");
    auto dev = discoverRootDevice(m.host);
    ASSERT_TRUE(dev);
    EXPECT_EQ(dev->device, "rpool/root/nixos");
    EXPECT_EQ(dev->fsType, "zfs");
}

TEST(RootDevice, NoMountInfoNoDevice)
{
    Machine m;
    EXPECT_FALSE(discoverRootDevice(m.host));
}
