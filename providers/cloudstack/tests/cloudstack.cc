// Finding CloudStack's virtual router from the machine's own files: each kind of lease, their
// order, the default route, and the lies a lease file may tell.

#include "providers/cloudstack/cloudstack.hh"
#include "tests/support/detect-helpers.hh"
#include "tests/support/http-server-helpers.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using namespace imprint::test;

TEST(CloudStack, ServerOfEachKindOfLease)
{
    EXPECT_EQ(serverAddressOfLease(readFile(fixture("cloudstack/leases/networkd-2"))), "10.1.1.1");
    EXPECT_EQ(serverIdentifierOfDhclientLeases(readFile(fixture("cloudstack/leases/dhclient.eth0.leases"))), "10.1.1.1");
    EXPECT_EQ(defaultGatewayOfRouteTable(readFile(fixture("cloudstack/leases/route"))), "10.1.1.1");
}

TEST(CloudStack, TheNewestDhclientLeaseWinsAndOnlyAddressesCount)
{
    EXPECT_EQ(serverIdentifierOfDhclientLeases("lease {\n  option dhcp-server-identifier 10.0.0.1;\n}\n"
                                               "lease {\n  option dhcp-server-identifier 10.0.0.9;\n}\n"),
              "10.0.0.9");
    EXPECT_EQ(serverIdentifierOfDhclientLeases("option dhcp-server-identifier data-server.example;\n"), std::nullopt);
    EXPECT_EQ(serverAddressOfLease("SERVER_ADDRESS=10.0.0.1; rm -rf /\n"), std::nullopt);
    EXPECT_EQ(serverAddressOfLease("SERVER_ADDRESS=\n"), std::nullopt);
    // No default route (only a link route), or a route that is down: no gateway.
    EXPECT_EQ(defaultGatewayOfRouteTable("Iface\tDestination\tGateway\tFlags\neth0\t0001010A\t00000000\t0001\n"), std::nullopt);
    EXPECT_EQ(defaultGatewayOfRouteTable("eth0\t00000000\t0101010A\t0002\n"), std::nullopt);
}

TEST(CloudStack, LeasesBeforeTheGatewayAndNetworkdFirst)
{
    FakeRoot root;
    root.file("/proc/net/route", readFile(fixture("cloudstack/leases/route")));
    auto r = findVirtualRouter(Host(root.dir()));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->where, "the default gateway in /proc/net/route");

    root.file("/var/lib/dhcp/dhclient.eth0.leases", "lease {\n  option dhcp-server-identifier 10.9.9.9;\n}\n");
    r = findVirtualRouter(Host(root.dir()));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->address, "10.9.9.9");

    root.file("/run/systemd/netif/leases/2", readFile(fixture("cloudstack/leases/networkd-2")));
    r = findVirtualRouter(Host(root.dir()));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->address, "10.1.1.1");
    EXPECT_EQ(r->where, "SERVER_ADDRESS in /run/systemd/netif/leases/2");
}

TEST(CloudStack, NoLeaseAndNoRouteIsAClearError)
{
    FakeRoot root;
    root.dmi({{"product_name", "CloudStack KVM Hypervisor"}});
    EXPECT_FALSE(findVirtualRouter(Host(root.dir())));
    auto r = runCapture({IMPRINT_BINARY, "--root", root.dir(), "fetch"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("no CloudStack virtual router"), std::string::npos) << r.err;
}
