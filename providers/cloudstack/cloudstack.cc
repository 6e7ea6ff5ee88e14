// Apache CloudStack: the metadata server is the network's virtual router, at no fixed address:
// http://<router>/latest/meta-data/<key> and /latest/user-data, no token, no header. imprint
// finds the router from the DHCP lease, as cloud-init does, but from local files only (see
// cloudstack.hh), or takes --endpoint / `endpoints: {cloudstack: URL}`. public-keys is the keys
// themselves, one a line. Detected by DMI product_name beginning "CloudStack" ("CloudStack KVM
// Hypervisor"), as ds-identify does; clouds that rename their SMBIOS product need
// `imprint.source=cloudstack`. Port 8080 of the router is the password server, whose answer
// changes its state: imprint never calls it.

#include "providers/cloudstack/cloudstack.hh"

#include "agent/system/error.hh"
#include "providers/common/meta-data-tree.hh"
#include "providers/common/metadata-server.hh"

#include <arpa/inet.h>

#include <cstdio>

namespace imprint {

namespace {

std::optional<std::string> ipv4Literal(std::string text)
{
    text = trim(text);
    in_addr a{};
    if (::inet_pton(AF_INET, text.c_str(), &a) != 1)
        return std::nullopt;
    return text;
}

// The first lease file under `dir` (sorted by name) that names a server.
std::optional<VirtualRouter> fromKeyValueLeases(const Host & host, const std::string & dir, const char * suffix)
{
    for (const auto & name : host.list(dir)) {
        if (!std::string_view(name).ends_with(suffix))
            continue;
        std::string path = dir + "/" + name;
        if (auto text = host.readFile(path, kSmallFileCap))
            if (auto a = serverAddressOfLease(*text))
                return VirtualRouter{*a, "SERVER_ADDRESS in " + path};
    }
    return std::nullopt;
}

class CloudStackProvider : public Provider
{
public:
    std::string name() const override { return "cloudstack"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        if (auto product = dmiValue(host, "product_name"); product && product->starts_with("CloudStack"))
            return "DMI product_name '" + *product + "'";
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        std::string base;
        if (ctx.endpoint) {
            base = *ctx.endpoint;
        } else {
            auto router = findVirtualRouter(ctx.host);
            if (!router)
                throw Error("no CloudStack virtual router: no DHCP lease names a server and there is no default route "
                            "(set endpoints: {cloudstack: URL} in the configuration)");
            base = "http://" + router->address;
        }
        MetaDataTree tree(httpOf(ctx, name()), base, "latest", std::nullopt);
        return fetchCloudStackTree(tree, name());
    }
};

} // namespace

std::optional<std::string> serverAddressOfLease(std::string_view text)
{
    for (const auto & line : nonEmptyLines(text))
        if (line.starts_with("SERVER_ADDRESS="))
            return ipv4Literal(line.substr(15));
    return std::nullopt;
}

std::optional<std::string> serverIdentifierOfDhclientLeases(std::string_view text)
{
    std::optional<std::string> last;  // the newest lease comes last
    const std::string key = "option dhcp-server-identifier ";
    for (const auto & line : nonEmptyLines(text)) {
        if (!line.starts_with(key))
            continue;
        std::string value = line.substr(key.size());
        if (auto semi = value.find(';'); semi != std::string::npos)
            value.resize(semi);
        if (auto a = ipv4Literal(value))
            last = a;
    }
    return last;
}

std::optional<std::string> defaultGatewayOfRouteTable(std::string_view text)
{
    for (const auto & line : nonEmptyLines(text)) {
        char iface[64], dest[16], gateway[16];
        unsigned flags = 0;
        // Iface Destination Gateway Flags ...; addresses in hex, in the kernel's byte order.
        if (std::sscanf(line.c_str(), "%63s %15s %15s %x", iface, dest, gateway, &flags) != 4)
            continue;
        const unsigned kRouteUp = 0x1, kRouteGateway = 0x2;
        if (std::string_view(dest) != "00000000" || (flags & (kRouteUp | kRouteGateway)) != (kRouteUp | kRouteGateway))
            continue;
        unsigned long g = std::strtoul(gateway, nullptr, 16);
        in_addr a{};
        a.s_addr = static_cast<in_addr_t>(g);  // /proc/net/route prints the address as stored
        char buf[INET_ADDRSTRLEN];
        if (g != 0 && ::inet_ntop(AF_INET, &a, buf, sizeof buf))
            return std::string(buf);
    }
    return std::nullopt;
}

std::optional<VirtualRouter> findVirtualRouter(const Host & host)
{
    if (auto r = fromKeyValueLeases(host, "/run/systemd/netif/leases", ""))
        return r;
    if (auto r = fromKeyValueLeases(host, "/var/lib/NetworkManager", ".lease"))
        return r;
    for (const char * dir : {"/var/lib/dhcp", "/var/lib/dhclient"})
        for (const auto & name : host.list(dir))
            if (std::string_view(name).ends_with(".leases"))
                if (auto text = host.readFile(std::string(dir) + "/" + name, kMetaDataCap))
                    if (auto a = serverIdentifierOfDhclientLeases(*text))
                        return VirtualRouter{*a, "dhcp-server-identifier in " + std::string(dir) + "/" + name};
    if (auto routes = host.readFile("/proc/net/route", kMetaDataCap))
        if (auto g = defaultGatewayOfRouteTable(*routes))
            return VirtualRouter{*g, "the default gateway in /proc/net/route"};
    return std::nullopt;
}

std::unique_ptr<Provider> makeCloudStackProvider()
{
    return std::make_unique<CloudStackProvider>();
}

} // namespace imprint
