// agent/system/host.cc: a fake machine, or a seed medium, is a tree that no link leaves, and what is
// read from it is a regular file or an error naming the file, never a hang.

#include "agent/system/error.hh"
#include "agent/system/host.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace imprint;
using namespace imprint::test;
namespace fs = std::filesystem;

namespace {

std::string readError(const Host & host, const std::string & path, bool seed)
{
    try {
        if (seed)
            host.readSeedFile(path, kMetaDataCap);
        else
            host.readFile(path, kMetaDataCap);
    } catch (const Error & e) {
        return e.what();
    }
    return "";
}

// A machine with a secret outside it, and links that try to reach it.
struct EscapeTree
{
    TempDir dir;
    fs::path root = dir / "root";
    EscapeTree()
    {
        writeFile(dir / "secret", "outside");
        writeFile(root / "etc/hostname", "inside");
        fs::create_directories(root / "seed");
        fs::create_symlink("/etc/hostname", root / "seed/absolute");   // absolute: means root's /etc
        fs::create_symlink("../../../secret", root / "seed/dotdot");    // climbs past the root
        fs::create_symlink(dir / "secret", root / "seed/outside");      // the real path outside
        fs::create_symlink(dir.path(), root / "seed/outdir");                // a directory outside
    }
};

} // namespace

TEST(Host, LinksResolveInsideTheRoot)
{
    EscapeTree t;
    Host host(t.root);
    // An absolute link means the fake machine's own file, never the build machine's.
    EXPECT_EQ(host.readFile("/seed/absolute"), "inside");
    // ".." stops at the root, as it does at "/": the link names root/secret, which is not there.
    EXPECT_EQ(host.readFile("/seed/dotdot"), std::nullopt);
    EXPECT_EQ(host.readFile("/seed/outside"), std::nullopt);
    EXPECT_EQ(host.readFile("/seed/outdir/secret"), std::nullopt);
    EXPECT_FALSE(host.exists("/seed/outdir/secret"));
    EXPECT_TRUE(host.list("/seed/outdir").empty());
    EXPECT_TRUE(host.hasEntry("/seed/outside"));  // the entry itself is there
    EXPECT_EQ(host.readFile("/../../secret"), std::nullopt);
}

TEST(Host, SeedFilesAreRegularFilesAndNeverSymlinks)
{
    EscapeTree t;
    Host host(t.root);
    auto e = readError(host, "/seed/absolute", true);
    EXPECT_NE(e.find(t.root.string() + "/seed/absolute"), std::string::npos) << e;
    EXPECT_NE(e.find("symbolic link"), std::string::npos) << e;
    writeFile(t.root / "seed/meta-data", "instance-id: x\n");
    EXPECT_EQ(host.readSeedFile("/seed/meta-data", kMetaDataCap), "instance-id: x\n");
    EXPECT_EQ(host.readSeedFile("/seed/missing", kMetaDataCap), std::nullopt);
}

TEST(Host, AFifoIsAnErrorNotAHang)
{
    TempDir t;
    ASSERT_EQ(::mkfifo((t / "meta-data").c_str(), 0644), 0);
    Host host(t.path());
    // Nobody ever opens the FIFO for writing: an open(2) without O_NONBLOCK would hang here.
    for (bool seed : {true, false}) {
        auto e = readError(host, "/meta-data", seed);
        EXPECT_NE(e.find("is a FIFO, expected a regular file"), std::string::npos) << e;
    }
    EXPECT_THROW(readFileCapped(t / "meta-data", kMetaDataCap), Error);
}

TEST(Host, DirectoriesAndDevicesAreNotFiles)
{
    TempDir t;
    fs::create_directories(t / "meta-data");
    Host host(t.path());
    EXPECT_NE(readError(host, "/meta-data", true).find("is a directory"), std::string::npos);
    fs::create_symlink("/dev/zero", t / "zero");
    // Resolved inside the root, /dev/zero is absent there; the real one is a device.
    EXPECT_EQ(host.readFile("/zero"), std::nullopt);
    EXPECT_NE(readError(Host("/"), "/dev/zero", false).find("is a device"), std::string::npos);
}

TEST(Host, AHugeSparseFileIsRefusedByItsSize)
{
    TempDir t;
    int fd = ::open((t / "user-data").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, off_t{64} * 1024 * 1024 * 1024), 0);  // 64 GiB of holes
    ::close(fd);
    auto e = readError(Host(t.path()), "/user-data", true);
    EXPECT_NE(e.find("is larger than the limit of"), std::string::npos) << e;
}

TEST(Host, TheRealRootReadsProcAndSys)
{
    Host host("/");
    EXPECT_TRUE(host.readFile("/proc/self/mountinfo", 4 * 1024 * 1024));
    EXPECT_TRUE(host.readFile("/proc/cmdline"));
    EXPECT_TRUE(host.isDirectory("/proc/self"));
}

TEST(Host, ListingsAreBounded)
{
    TempDir t;
    fs::create_directories(t / "openstack");
    for (std::size_t i = 0; i <= kMaxDirectoryEntries; ++i)
        ::close(::open((t / ("openstack/" + std::to_string(i))).c_str(), O_CREAT | O_WRONLY, 0644));
    auto e = [&] {
        try {
            Host(t.path()).list("/openstack");
        } catch (const Error & err) {
            return std::string(err.what());
        }
        return std::string();
    }();
    EXPECT_NE(e.find("/openstack holds more than 65536 entries"), std::string::npos) << e;
}
