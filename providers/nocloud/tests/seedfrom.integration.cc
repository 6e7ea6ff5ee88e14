// NoCloud's seedfrom over HTTP, from the kernel command line, end to end.
#include "tests/support/platform-server-helpers.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace imprint;
using namespace imprint::test;
using nlohmann::json;
namespace fs = std::filesystem;

TEST(NoCloudSeedFrom, OverHttpFromTheKernelCommandLine)
{
    std::string root = makeTempDir("seedfrom");
    TestHttpServer server([](const TestRequest & r) {
        auto f = fixtureFile("nocloud/seedfrom" + r.path.substr(r.path.rfind('/')));
        return r.path.starts_with("/seed/") && f ? TestReply::text(*f) : TestReply::code(404);
    });
    fs::create_directories(root + "/proc");
    std::ofstream(root + "/proc/cmdline") << "root=/dev/vda1 ds=nocloud;s=" << server.url() << "/seed/ quiet\n";
    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["source"], "nocloud");
    EXPECT_EQ(j["instance_id"], "iid-seedfrom-01");
    EXPECT_EQ(j["hostname"], "seeded");
    EXPECT_EQ(j["domain"], "lab.example");
    EXPECT_EQ(j["timezone"], "Europe/Oslo");
    EXPECT_EQ(j["ssh_authorized_keys"].size(), 1u);
    EXPECT_EQ(server.count("/seed/meta-data"), 1u);

    // A host name instead of an IP literal is refused before anything is resolved.
    std::ofstream(root + "/proc/cmdline") << "ds=nocloud;s=http://seed.example.org/seed/\n";
    r = runCapture({IMPRINT_BINARY, "--root", root, "--json", "fetch"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("IP address"), std::string::npos) << r.err;
    fs::remove_all(root);
}
