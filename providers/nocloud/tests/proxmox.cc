// Proxmox VE's cloud-init drive is NoCloud with everything in user-data: its meta-data holds only
// an instance-id, the SHA-1 of user-data and network-config, and the host name (hostname, fqdn)
// and keys live in user-data. The fixtures are the generator's output (qemu-server's
// Cloudinit.pm) byte for byte: the default drive, and one with a cicustom user snippet.

#include "agent/normalize/normalize.hh"
#include "providers/provider.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <openssl/sha.h>

using namespace imprint;
using namespace imprint::test;

namespace {

Normalized fetchProxmox(const std::string & fixtureDir)
{
    TempDir root;
    Host host(root.path());
    Config config;
    FetchContext ctx{host, config, fixture(fixtureDir).string(), std::nullopt, nullptr, nullptr};
    return normalize(findProvider("nocloud")->fetch(ctx), config, gatherMachineFacts(host));
}

std::string sha1Hex(const std::string & data)
{
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char *>(data.data()), data.size(), md);
    static const char * hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : md)
        out += {hex[c >> 4], hex[c & 15]};
    return out;
}

} // namespace

TEST(Proxmox, NameAndKeysComeFromUserData)
{
    auto n = fetchProxmox("nocloud/proxmox");
    EXPECT_EQ(n.instance.instanceId, "06e98f6373bca1e5a4af0fcda80507d4730ed9ef");
    EXPECT_EQ(n.instance.hostname, "pve-node-7");
    EXPECT_EQ(n.instance.domain, "home.arpa");
    EXPECT_EQ(n.instance.sshAuthorizedKeys.size(), 2u);
    EXPECT_FALSE(n.instance.timezone);  // Proxmox never writes one
}

TEST(Proxmox, TheInstanceIdIsTheDigestOfWhatItGenerated)
{
    // So any change of name, keys or addresses is a new instance to imprint, as to cloud-init.
    std::string d = readFile(fixture("nocloud/proxmox/user-data")) + readFile(fixture("nocloud/proxmox/network-config"));
    EXPECT_EQ(readFile(fixture("nocloud/proxmox/meta-data")), "instance-id: " + sha1Hex(d) + "\n");
}

TEST(Proxmox, ACustomUserSnippetCarriesATimezone)
{
    auto n = fetchProxmox("nocloud/proxmox-cicustom");
    EXPECT_EQ(n.instance.hostname, "pve-node-8");
    EXPECT_EQ(n.instance.domain, "home.arpa");
    EXPECT_EQ(n.instance.timezone, "Europe/Berlin");
    EXPECT_EQ(n.instance.sshAuthorizedKeys.size(), 1u);
}
