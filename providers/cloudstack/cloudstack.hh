#pragma once
// Apache CloudStack: finding the virtual router that serves metadata, for its tests.

#include "agent/system/host.hh"

#include <optional>
#include <string>
#include <string_view>

namespace imprint {

struct VirtualRouter
{
    std::string address;  // an IPv4 literal
    std::string where;    // "SERVER_ADDRESS in /run/systemd/netif/leases/2"
};

// The DHCP server of the lease (CloudStack's virtual router answers DHCP and metadata alike):
// systemd-networkd's and NetworkManager's lease files (SERVER_ADDRESS=), then dhclient's
// (option dhcp-server-identifier), then the default gateway in /proc/net/route. Local reads only:
// never the DNS name data-server (imprint resolves no names).
std::optional<VirtualRouter> findVirtualRouter(const Host & host);

// The pieces, on text: SERVER_ADDRESS= of a KEY=VALUE lease; the last dhcp-server-identifier of
// a dhclient lease file; the default route's gateway of /proc/net/route. Each an IPv4 literal.
std::optional<std::string> serverAddressOfLease(std::string_view text);
std::optional<std::string> serverIdentifierOfDhclientLeases(std::string_view text);
std::optional<std::string> defaultGatewayOfRouteTable(std::string_view text);

} // namespace imprint
