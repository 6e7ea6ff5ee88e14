// Incus and LXD are recognised by their guest API's socket, and only by a socket.
#include "tests/support/detect-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using namespace imprint::test;

TEST(IncusDetect, IncusAndLxdSockets)
{
    for (const char * sock : {"/dev/incus/sock", "/dev/lxd/sock"}) {
        FakeRoot root;
        root.socket(sock);
        auto d = root.detect();
        ASSERT_TRUE(d) << sock;
        EXPECT_EQ(d->provider->name(), "incus");
        EXPECT_NE(d->signal.find(sock), std::string::npos);
    }
    // A regular file where the socket should be is not a socket.
    FakeRoot root;
    root.file("/dev/incus/sock", "");
    EXPECT_FALSE(root.detect());
}
