// KubeVirt VMs see cloudInitNoCloud / cloudInitConfigDrive as ordinary NoCloud and config-2
// media. The fixtures are byte for byte what KubeVirt writes (pkg/cloud-init: json.Marshal of
// its metadata structs: compact, no final newline, SSH keys read raw from the access-credential
// secret, so with the newline of a .pub file); here they go through the real providers.

#include "agent/normalize/normalize.hh"
#include "providers/provider.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using namespace imprint::test;

namespace {

const std::string kAlice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@example";
const std::string kBob = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA2kGmfIHTf1n0Tb6vuMpyGxG6uF0cm8n9RJz bob@example";

InstanceData fetchSeed(const std::string & source, const std::string & fixtureDir)
{
    TempDir root;  // an empty machine: no root device to discover
    Host host(root.path());
    Config config;
    const Provider * p = findProvider(source);
    if (!p)
        throw std::runtime_error("provider " + source + " is not registered");
    FetchContext ctx{host, config, fixture(fixtureDir).string(), std::nullopt, nullptr, nullptr};
    return normalize(p->fetch(ctx), config, gatherMachineFacts(host)).instance;
}

} // namespace

TEST(KubeVirt, NoCloudInstanceIdIsTheFirmwareUuid)
{
    auto in = fetchSeed("nocloud", "nocloud/kubevirt");
    EXPECT_EQ(in.instanceId, "5d307ca9-b3ef-428c-8861-06e72d69f223");
    EXPECT_EQ(in.hostname, "fedora-web");
    EXPECT_FALSE(in.domain);
    EXPECT_EQ(in.timezone, "Europe/Vienna");
    // public-keys as a map "0", "1"; the newline from the secret's .pub file is not part of the key.
    EXPECT_EQ(in.sshAuthorizedKeys, (std::vector<std::string>{kAlice, kBob}));
}

TEST(KubeVirt, OlderNoCloudInstanceIdIsNameDotNamespace)
{
    auto in = fetchSeed("nocloud", "nocloud/kubevirt-legacy");
    EXPECT_EQ(in.instanceId, "fedora-web.prod");
    EXPECT_EQ(in.hostname, "fedora-web");
    EXPECT_FALSE(in.domain);  // "fedora-web.prod" is an instance id, never a domain
    EXPECT_EQ(in.sshAuthorizedKeys, std::vector<std::string>{kAlice});
}

TEST(KubeVirt, ConfigDriveAsKubeVirtWritesIt)
{
    auto in = fetchSeed("configdrive", "configdrive/kubevirt");
    // cloud-init's ConfigDrive takes instance-id from `uuid` (the firmware UUID), not from
    // KubeVirt's instance_id "<name>.<namespace>"; imprint does the same.
    EXPECT_EQ(in.instanceId, "b1f0c5a2-6e4d-4f3b-9a8c-7d2e1f0a3b4c");
    EXPECT_EQ(in.hostname, "fedora-db");
    EXPECT_FALSE(in.domain);
    EXPECT_EQ(in.timezone, "Europe/Berlin");
    EXPECT_EQ(in.sshAuthorizedKeys, std::vector<std::string>{kBob});
}
