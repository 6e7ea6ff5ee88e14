// The credentials source end to end: the real binary, its credentials in the directory systemd
// gives a service ($CREDENTIALS_DIRECTORY), chosen by detection with no other signal.

#include "tests/support/platform-server-helpers.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace imprint::test;
using nlohmann::json;
namespace fs = std::filesystem;

TEST(CredentialsFetch, DetectedAndRenderedFromTheServicesCredentials)
{
    std::string root = makeTempDir("credentials");
    const std::string dir = "/run/credentials/imprint.service";
    copyTree(fixture("credentials/basic"), root + dir);
    std::vector<std::string> env{"CREDENTIALS_DIRECTORY=" + dir};

    auto detect = runCapture({IMPRINT_BINARY, "--root", root, "detect"}, env);
    ASSERT_EQ(detect.exitCode, 0) << detect.err;
    EXPECT_NE(detect.out.find("credentials"), std::string::npos) << detect.out;

    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--json", "fetch"}, env);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["source"], "credentials");
    EXPECT_EQ(j["instance_id"], "iid-smbios-0042");
    EXPECT_EQ(j["hostname"], "cred-vm");
    EXPECT_EQ(j["domain"], "lab.example");
    EXPECT_EQ(j["timezone"], "Europe/Lisbon");
    EXPECT_EQ(j["ssh_authorized_keys"].size(), 1u);

    // The name becomes declarative: the overlay sets it, over an image's static /etc/hostname.
    auto rendered = runCapture({IMPRINT_BINARY, "--root", root, "render"}, env);
    ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
    EXPECT_NE(rendered.out.find("\"cred-vm\""), std::string::npos) << rendered.out;
    fs::remove_all(root);
}
