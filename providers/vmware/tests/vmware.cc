// VMware guestinfo's encodings and metadata, and the bounded runner imprint reads it with.

#include "agent/fetch/encoding.hh"
#include "agent/system/error.hh"
#include "agent/system/process.hh"
#include "providers/vmware/vmware.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using namespace imprint::test;
using namespace std::chrono_literals;

TEST(Vmware, EachEncodingAndWhatMeansAbsent)
{
    EXPECT_EQ(decodeGuestinfo("aGVsbG8=", "base64", "o"), "hello");
    EXPECT_EQ(decodeGuestinfo("aGVsbG8=", "b64", "o"), "hello");
    EXPECT_EQ(decodeGuestinfo("plain: text", "", "o"), "plain: text");
    EXPECT_EQ(decodeGuestinfo("---", "base64", "o"), std::nullopt);  // cleaned up by cloud-init
    EXPECT_EQ(decodeGuestinfo("  \n", "", "o"), std::nullopt);
    auto md = decodeGuestinfo(readFile(fixture("vmware/basic/guestinfo.metadata")), "gzip+base64", "o");
    ASSERT_TRUE(md);
    EXPECT_NE(md->find("instance-id: vm-4711-db03"), std::string::npos);
    EXPECT_THROW(decodeGuestinfo("not base64 !", "base64", "guestinfo.metadata"), Error);
}

TEST(Vmware, MetadataKeysInEveryAcceptedSpelling)
{
    auto d = parseVmwareMetadata("{\"instance-id\": \"i-1\", \"local-hostname\": \"db-03.lab\", "
                                 "\"public_keys\": [\"ssh-ed25519 AAAA a\", \"ssh-ed25519 BBBB b\"]}", "guestinfo.metadata");
    EXPECT_EQ(d.instanceId, "i-1");
    EXPECT_EQ(d.localHostname, "db-03.lab");
    EXPECT_EQ(d.publicKeys.size(), 2u);
    EXPECT_EQ(d.publicKeysOrigin, "key 'public_keys' in guestinfo.metadata");
    EXPECT_THROW(parseVmwareMetadata("- a list", "guestinfo.metadata"), Error);
}

TEST(Process, OutputAndExitStatusAndItsBounds)
{
    auto r = runCommand({"/bin/echo", "info-get guestinfo.x"}, 5s, 1024);
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out, "info-get guestinfo.x\n");
    EXPECT_EQ(runCommand({"/bin/false"}, 5s, 1024).exitCode, 1);
    try {
        runCommand({"/bin/sleep", "30"}, 200ms, 1024);
        FAIL() << "a hanging tool was waited for";
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("/bin/sleep did not finish within 200 ms"), std::string::npos) << e.what();
    }
    try {
        runCommand({"/usr/bin/yes"}, 5s, 64 * 1024);
        FAIL() << "a flooding tool was read without end";
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("more than 65536 bytes"), std::string::npos) << e.what();
    }
    EXPECT_THROW(runCommand({"/nonexistent/vmware-rpctool"}, 1s, 1024), Error);
}
