// NoCloud seeds in the formats cloud-init and KubeVirt write, through fetch and normalize.

#include "agent/system/error.hh"
#include "agent/fetch/mount.hh"
#include "agent/normalize/normalize.hh"
#include "providers/nocloud/nocloud.hh"
#include "providers/provider.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using namespace imprint::test;
namespace fs = std::filesystem;

namespace {

const std::string kKey1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@example";
const std::string kKey2 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA2kGmfIHTf1n0Tb6vuMpyGxG6uF0cm8n9RJz bob@example";

struct Fixture
{
    TempDir root;  // an empty machine: no mountinfo, so no root device is discovered
    Host host{root.path()};
    Config config;

    Normalized fromDir(const fs::path & dir, FetchContext * custom = nullptr)
    {
        const Provider * p = findProvider("nocloud");
        FetchContext ctx{host, config, dir.string(), std::nullopt, nullptr, nullptr};
        SourceData data = p->fetch(custom ? *custom : ctx);
        return normalize(data, config, gatherMachineFacts(host));
    }
    Normalized fromFixture(const std::string & name) { return fromDir(fixture("nocloud/" + name)); }
};

// Copies seed files into a mount point, as a mounted cidata filesystem would show them.
class FakeMounter : public Mounter
{
public:
    fs::path seed;
    std::vector<std::string> calls;
    void mount(const fs::path & device, const fs::path & target, const std::string & fsType) override
    {
        calls.push_back("mount " + device.filename().string() + " " + fsType);
        if (fsType != "vfat")
            throw Error("wrong fs type");
        copyTree(seed, target);
    }
    void unmount(const fs::path & target) override
    {
        calls.push_back("umount");
        fs::remove_all(target);
        fs::create_directory(target);
    }
};

} // namespace

TEST(NoCloud, PlainSeed)
{
    Fixture f;
    auto n = f.fromFixture("plain");
    const auto & in = n.instance;
    EXPECT_EQ(in.source, "nocloud");
    EXPECT_EQ(in.instanceId, "iid-local01");
    EXPECT_EQ(in.hostname, "web-1");
    EXPECT_EQ(in.domain, "example.org");
    EXPECT_EQ(in.fqdn, "web-1.example.org");
    EXPECT_EQ(in.timezone, "Europe/Paris");
    ASSERT_EQ(in.sshAuthorizedKeys.size(), 2u);  // meta-data key, then user-data key
    EXPECT_EQ(in.sshAuthorizedKeys[0], kKey1);
    EXPECT_EQ(in.sshAuthorizedKeys[1], kKey2);
    ASSERT_EQ(in.userKeys.count("deploy"), 1u);
    EXPECT_EQ(in.userKeys.at("deploy").size(), 1u);
    EXPECT_FALSE(in.rootDevice);
    EXPECT_EQ(n.unhandledKeys, (std::vector<std::string>{"packages", "runcmd"}));
}

TEST(NoCloud, JsonMetaDataAsKubeVirtWritesIt)
{
    Fixture f;
    auto in = f.fromFixture("json-kubevirt").instance;
    EXPECT_EQ(in.instanceId, "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    EXPECT_EQ(in.hostname, "testvmi");
    EXPECT_FALSE(in.domain);
    EXPECT_EQ(in.sshAuthorizedKeys, std::vector<std::string>{kKey1});
}

TEST(NoCloud, GzipUserData)
{
    Fixture f;
    auto in = f.fromFixture("gzip").instance;
    EXPECT_EQ(in.hostname, "gz-host");
    EXPECT_EQ(in.domain, "corp.example.com");
    EXPECT_EQ(in.timezone, "UTC");
}

TEST(NoCloud, MultipartUserData)
{
    Fixture f;
    auto n = f.fromFixture("multipart");
    EXPECT_EQ(n.instance.hostname, "second");
    EXPECT_EQ(n.instance.timezone, "Asia/Tokyo");
    EXPECT_EQ(n.ignoredParts.size(), 1u);
}

TEST(NoCloud, LegacyHostnameKey)
{
    Fixture f;
    EXPECT_EQ(f.fromFixture("legacy-hostname").instance.hostname, "oldstyle");
}

TEST(NoCloud, PublicKeysInEveryShape)
{
    Fixture f;
    EXPECT_EQ(f.fromFixture("keys-string").instance.sshAuthorizedKeys.size(), 1u);
    EXPECT_EQ(f.fromFixture("keys-list").instance.sshAuthorizedKeys.size(), 2u);
    EXPECT_EQ(f.fromFixture("keys-map").instance.sshAuthorizedKeys.size(), 3u);
}

TEST(NoCloud, FqdnAndImprintBlockFromUserData)
{
    Fixture f;
    auto in = f.fromFixture("fqdn-user-data").instance;
    EXPECT_EQ(in.hostname, "db-7");
    EXPECT_EQ(in.domain, "internal.example.net");
    ASSERT_TRUE(in.rootDevice);
    EXPECT_EQ(in.rootDevice->device, "/dev/disk/by-label/data-root");
    EXPECT_EQ(in.rootDevice->fsType, "xfs");
}

TEST(NoCloud, SelectorSyntax)
{
    auto sel = parseNoCloudSelector("ds=nocloud;s=file:///srv/seed/;h=node-3;i=iid-9");
    ASSERT_TRUE(sel);
    EXPECT_EQ(sel->at("seedfrom"), "file:///srv/seed/");
    EXPECT_EQ(sel->at("local-hostname"), "node-3");
    EXPECT_EQ(sel->at("instance-id"), "iid-9");
    EXPECT_TRUE(parseNoCloudSelector("ds=nocloud-net"));
    EXPECT_FALSE(parseNoCloudSelector("ds=ec2"));
    EXPECT_FALSE(parseNoCloudSelector("quiet"));
}

TEST(NoCloud, KernelCommandLineWinsOverTheSeedAndPointsAtIt)
{
    Fixture f;
    copyTree(fixture("nocloud/plain"), f.root / "srv/seed");
    writeFile(f.root / "proc/cmdline", "BOOT_IMAGE=/vmlinuz quiet ds=nocloud;s=file:///srv/seed/;h=override-host\n");
    const Provider * p = findProvider("nocloud");
    EXPECT_EQ(p->detect(f.host, f.config), "ds=nocloud on the kernel command line");
    FetchContext ctx{f.host, f.config, std::nullopt, std::nullopt, nullptr, nullptr};
    auto in = normalize(p->fetch(ctx), f.config, gatherMachineFacts(f.host)).instance;
    EXPECT_EQ(in.instanceId, "iid-local01");
    EXPECT_EQ(in.hostname, "override-host");
    EXPECT_FALSE(in.domain);
}

TEST(NoCloud, DmiSerialSelector)
{
    Fixture f;
    writeFile(f.root / "sys/class/dmi/id/product_serial", "ds=nocloud;i=iid-dmi;h=from-dmi\n");
    const Provider * p = findProvider("nocloud");
    EXPECT_EQ(p->detect(f.host, f.config), "ds=nocloud on DMI product_serial");
    FetchContext ctx{f.host, f.config, std::nullopt, std::nullopt, nullptr, nullptr};
    auto in = normalize(p->fetch(ctx), f.config, gatherMachineFacts(f.host)).instance;
    EXPECT_EQ(in.instanceId, "iid-dmi");
    EXPECT_EQ(in.hostname, "from-dmi");
}

TEST(NoCloud, SeedDirectoryIsDetected)
{
    Fixture f;
    const Provider * p = findProvider("nocloud");
    EXPECT_FALSE(p->detect(f.host, f.config));
    copyTree(fixture("nocloud/plain"), f.root / "var/lib/cloud/seed/nocloud-net");
    EXPECT_EQ(p->detect(f.host, f.config), "seed directory /var/lib/cloud/seed/nocloud-net");
}

TEST(NoCloud, LabelledFilesystemIsMountedReadOnlyAndUnmounted)
{
    Fixture f;
    fs::create_directories(f.root / "dev/disk/by-label");
    fs::create_symlink("../../sdb", f.root / "dev/disk/by-label/CIDATA");
    const Provider * p = findProvider("nocloud");
    EXPECT_EQ(p->detect(f.host, f.config), "filesystem label CIDATA (/dev/disk/by-label/CIDATA)");
    FakeMounter mounter;
    mounter.seed = fixture("nocloud/plain");
    FetchContext ctx{f.host, f.config, std::nullopt, std::nullopt, nullptr, &mounter};
    auto in = normalize(p->fetch(ctx), f.config, gatherMachineFacts(f.host)).instance;
    EXPECT_EQ(in.instanceId, "iid-local01");
    EXPECT_EQ(mounter.calls, (std::vector<std::string>{"mount CIDATA iso9660", "mount CIDATA vfat", "umount"}));
    // The private mount point is gone afterwards.
    for (const auto & e : fs::directory_iterator(f.root / "run/imprint"))
        ADD_FAILURE() << "left behind: " << e.path();
}

TEST(NoCloud, BadSeedsFailWithOneLineNamingTheFile)
{
    Fixture f;
    TempDir seed;
    writeFile(seed / "meta-data", "local-hostname: x\n");
    try {
        f.fromDir(seed.path());
        FAIL();
    } catch (const Error & e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find((seed / "meta-data").string()), std::string::npos) << msg;
        EXPECT_NE(msg.find("instance-id"), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
    writeFile(seed / "meta-data", "instance-id: i\nlocal-hostname: bad_label_\n");
    try {
        f.fromDir(seed.path());
        FAIL();
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("local-hostname"), std::string::npos) << e.what();
    }
    writeFile(seed / "meta-data", "instance-id: i\n");
    writeFile(seed / "user-data", "#cloud-config\nhostname: " + std::string(64, 'a') + "\n");
    try {
        f.fromDir(seed.path());
        FAIL();
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("key 'hostname'"), std::string::npos) << e.what();
    }
    writeFile(seed / "user-data", "#cloud-config\nssh_authorized_keys: [\"not a key\"]\n");
    EXPECT_THROW(f.fromDir(seed.path()), Error);
    writeFile(seed / "user-data", "#cloud-config\ntimezone: ../../etc/shadow\n");
    EXPECT_THROW(f.fromDir(seed.path()), Error);
    fs::remove(seed / "user-data");
    writeFile(seed / "meta-data", std::string(kMetaDataCap + 1, 'a'));
    EXPECT_THROW(f.fromDir(seed.path()), Error);
}
