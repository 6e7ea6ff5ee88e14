// Scaleway's user-data needs a privileged source port: imprint binds one as root, and says so
// plainly when it cannot.

#include "tests/support/platform-server-helpers.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

using namespace imprint::test;

TEST(Scaleway, WithoutRootTheUserDataRequestSaysWhy)
{
    if (::geteuid() != 0 || !std::filesystem::exists("/usr/bin/setpriv"))
        GTEST_SKIP() << "needs root and setpriv(1) to run imprint as an unprivileged user";
    std::string root = makeTempDir("scaleway");
    std::filesystem::permissions(root, std::filesystem::perms::all);
    auto ps = startPlatformServer("scaleway", "scaleway/basic", root);
    auto r = runCapture({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", IMPRINT_BINARY,
                         "--root", root, "--source", "scaleway", "--endpoint", ps->endpoint, "fetch"});
    EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("privileged port"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("/user_data/cloud-init"), std::string::npos) << r.err;
    for (const auto & req : ps->server->requests())
        EXPECT_FALSE(req.path.starts_with("/user_data")) << "a request from port " << req.peerPort << " reached the server";
    std::filesystem::remove_all(root);
}
