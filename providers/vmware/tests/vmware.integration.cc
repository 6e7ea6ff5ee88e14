// VMware end to end: the real binary on a fake VMware machine, reading guestinfo through a
// stand-in vmware-rpctool (tests/support/stub-rpctool.cc) that answers as open-vm-tools does.

#include "tests/support/platform-server-helpers.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace imprint::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A fake VMware VM whose tool serves `guestinfo` (a fixture directory, or nothing).
struct VmwareMachine
{
    std::string root = makeTempDir("vmware");
    std::string tool = root + "/tools/vmware-rpctool";

    explicit VmwareMachine(const std::optional<std::string> & guestinfo)
    {
        fs::create_directories(root + "/tools/guestinfo");
        fs::copy_file(IMPRINT_STUB_RPCTOOL, tool);
        if (guestinfo)
            copyTree(fixture(*guestinfo), root + "/tools/guestinfo");
        writeFile(root + "/sys/class/dmi/id/sys_vendor", "VMware, Inc.\n");
        writeFile(root + "/sys/class/dmi/id/product_name", "VMware7,1\n");
        writeFile(root + "/sys/class/dmi/id/product_uuid", "4231A2B3-C4D5-E6F7-0818-293A4B5C6D7E\n");
        writeFile(root + "/etc/imprint/imprint.yaml", "vmware:\n  rpctool: " + tool + "\n");
    }
    ~VmwareMachine() { fs::remove_all(root); }
    CommandResult imprint(std::vector<std::string> args) const
    {
        args.insert(args.begin(), {IMPRINT_BINARY, "--root", root});
        return runCapture(args);
    }
};

} // namespace

TEST(VmwareFetch, DetectedAndReadThroughTheTool)
{
    VmwareMachine vm("vmware/basic");
    auto detect = vm.imprint({"detect"});
    ASSERT_EQ(detect.exitCode, 0) << detect.err;
    EXPECT_NE(detect.out.find("vmware"), std::string::npos) << detect.out;
    auto r = vm.imprint({"--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["source"], "vmware");
    EXPECT_EQ(j["instance_id"], "vm-4711-db03");
    EXPECT_EQ(j["hostname"], "db-03");
    EXPECT_EQ(j["domain"], "lab.example.org");
    EXPECT_EQ(j["ssh_authorized_keys"].size(), 2u);
    EXPECT_EQ(j["timezone"], "Asia/Tokyo");
}

TEST(VmwareFetch, NoGuestinfoIsNoSourceAndAPlainMetadataGetsTheVmUuid)
{
    VmwareMachine empty(std::nullopt);
    EXPECT_EQ(empty.imprint({"detect"}).exitCode, 3);  // DMI alone is no signal

    VmwareMachine plain(std::nullopt);
    writeFile(plain.root + "/tools/guestinfo/guestinfo.metadata", "local-hostname: plain-vm\n");
    auto r = plain.imprint({"--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["instance_id"], "4231a2b3-c4d5-e6f7-0818-293a4b5c6d7e");
    EXPECT_EQ(j["hostname"], "plain-vm");
}
