#include "agent/cloud-config.hh"
#include "agent/error.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using namespace imprint::test;

TEST(CloudConfig, PlainCloudConfig)
{
    auto cc = decodeUserData("#cloud-config\nhostname: a\n", "ud");
    EXPECT_EQ(cc.config["hostname"], "a");
    EXPECT_TRUE(cc.ignoredParts.empty());
}

TEST(CloudConfig, GzipIsDecompressed)
{
    auto cc = decodeUserData(readFile(fixture("nocloud/gzip/user-data")), "ud");
    EXPECT_EQ(cc.config["hostname"], "gz-host");
    EXPECT_EQ(cc.config["fqdn"], "gz-host.corp.example.com");
}

TEST(CloudConfig, MultipartMergesCloudConfigPartsInOrderAndSkipsScripts)
{
    auto cc = decodeUserData(readFile(fixture("nocloud/multipart/user-data")), "ud");
    EXPECT_EQ(cc.config["hostname"], "second");   // the later part wins
    EXPECT_EQ(cc.config["timezone"], "Asia/Tokyo");
    EXPECT_EQ(cc.config["ssh_authorized_keys"].size(), 1u);  // kept from the first part
    ASSERT_EQ(cc.ignoredParts.size(), 1u);
    EXPECT_NE(cc.ignoredParts[0].find("text/x-shellscript"), std::string::npos) << cc.ignoredParts[0];
}

TEST(CloudConfig, ScriptsAndIncludesAreNeverRun)
{
    auto cc = decodeUserData("#!/bin/sh\nrm -rf /\n", "ud");
    EXPECT_TRUE(cc.config.empty());
    ASSERT_EQ(cc.ignoredParts.size(), 1u);
    cc = decodeUserData("#include\nhttp://example.com/x\n", "ud");
    EXPECT_EQ(cc.ignoredParts.size(), 1u);
}

TEST(CloudConfig, EmptyUserDataIsEmpty)
{
    EXPECT_TRUE(decodeUserData("", "ud").config.empty());
    EXPECT_TRUE(decodeUserData("\n\n", "ud").config.empty());
}

TEST(CloudConfig, CorruptInputsAreErrorsNamingTheOrigin)
{
    std::string gz = readFile(fixture("nocloud/gzip/user-data"));
    try {
        decodeUserData(gz.substr(0, gz.size() / 2), "/seed/user-data");
        FAIL();
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("/seed/user-data"), std::string::npos);
    }
    EXPECT_THROW(decodeUserData("#cloud-config\n- a list\n", "ud"), Error);
    EXPECT_THROW(decodeUserData("Content-Type: multipart/mixed\n\nno boundary", "ud"), Error);
}

TEST(CloudConfig, GzipBombIsCapped)
{
    // 64 MiB of zeros compresses to ~64 KiB; the cap is 16 MiB.
    std::string zeros(64 * 1024 * 1024, '\0');
    TempDir dir;
    writeFile(dir / "zeros", zeros);
    auto r = runProcess({"gzip", "-kn", (dir / "zeros").string()});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_THROW(decodeUserData(readFile(dir / "zeros.gz"), "ud"), Error);
}
