// The credentials source: what each credential gives, which wins, where the instance id comes
// from, and where it sits in detection (after every platform, unless chosen explicitly).

#include "agent/normalize/normalize.hh"
#include "agent/system/credentials.hh"
#include "agent/system/error.hh"
#include "providers/credentials/credentials.hh"
#include "tests/support/detect-helpers.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using namespace imprint::test;

namespace {

const std::string kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJpSZ0pN7xF0h2m2bB3c4D5e6F7g8H9i0J1k2L3m4N5o ops@bastion";

EnvLookup envWith(std::map<std::string, std::string> vars)
{
    return [vars](const std::string & n) -> std::optional<std::string> {
        auto it = vars.find(n);
        return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
}

// The provider on a fake machine whose credentials are `fixtureDir`'s files, in `directory`.
InstanceData fetchFrom(FakeRoot & root, const std::string & fixtureDir, const std::string & directory, EnvLookup env)
{
    copyTree(fixture(fixtureDir), root.dir() + directory);
    auto provider = makeCredentialsProvider(std::move(env));
    Host host(root.dir());
    Config config;
    EXPECT_TRUE(provider->detect(host, config));
    FetchContext ctx{host, config, std::nullopt, std::nullopt, nullptr, nullptr};
    return normalize(provider->fetch(ctx), config, gatherMachineFacts(host)).instance;
}

} // namespace

TEST(Credentials, AWholeSeedFromTheServicesCredentialsDirectory)
{
    FakeRoot root;
    auto in = fetchFrom(root, "credentials/basic", "/run/credentials/imprint-local.service",
                        envWith({{"CREDENTIALS_DIRECTORY", "/run/credentials/imprint-local.service"}}));
    EXPECT_EQ(in.instanceId, "iid-smbios-0042");
    EXPECT_EQ(in.hostname, "cred-vm");  // meta-data's local-hostname beats system.hostname
    EXPECT_EQ(in.domain, "lab.example");
    EXPECT_EQ(in.timezone, "Europe/Lisbon");
    EXPECT_EQ(in.sshAuthorizedKeys, std::vector<std::string>{kKey});
    EXPECT_EQ(in.facts.at("platform").at("credentials"),
              "imprint.meta-data imprint.user-data ssh.authorized_keys.root system.hostname");
}

TEST(Credentials, SystemHostnameAloneWithTheSmbiosUuidAsInstanceId)
{
    FakeRoot root;
    root.dmi({{"product_uuid", "4C4C4544-0042-3510-8052-B4C04F4E3332"}});
    auto in = fetchFrom(root, "credentials/hostname-only", kSystemCredentialsDirectory, processEnv);
    EXPECT_EQ(in.hostname, "web-07");
    EXPECT_FALSE(in.domain);
    EXPECT_EQ(in.instanceId, "4c4c4544-0042-3510-8052-b4c04f4e3332");
    EXPECT_TRUE(in.sshAuthorizedKeys.empty());
}

TEST(Credentials, WithoutAnyIdTheInstanceIsADigestOfTheCredentials)
{
    CredentialSet a, b;
    a.values["system.hostname"] = {"web-07", "credential 'system.hostname'"};
    a.productUuid = "00000000-0000-0000-0000-000000000000";  // QEMU without -uuid
    b = a;
    b.values["system.hostname"].first = "web-08";
    auto da = sourceDataFromCredentials(a, "/run/credentials/@system");
    auto db = sourceDataFromCredentials(b, "/run/credentials/@system");
    EXPECT_TRUE(da.instanceId.starts_with("credentials-")) << da.instanceId;
    EXPECT_NE(da.instanceId, db.instanceId);
    EXPECT_EQ(da.instanceId, sourceDataFromCredentials(a, "/elsewhere").instanceId);
}

TEST(Credentials, FirstbootHostnameIsTheLastChoice)
{
    CredentialSet set;
    set.values["firstboot.hostname"] = {"from-imds\n", "credential 'firstboot.hostname' in /run/credentials/@system"};
    auto d = sourceDataFromCredentials(set, "/run/credentials/@system");
    EXPECT_EQ(d.localHostname, "from-imds");
    EXPECT_EQ(d.localHostnameOrigin, "credential 'firstboot.hostname' in /run/credentials/@system");
    set.values["system.hostname"] = {"chosen", "credential 'system.hostname' in /run/credentials/@system"};
    EXPECT_EQ(sourceDataFromCredentials(set, "/run/credentials/@system").localHostname, "chosen");
}

TEST(Credentials, BadMetaDataNamesTheCredential)
{
    CredentialSet set;
    set.values["imprint.meta-data"] = {"- a list\n- not a mapping\n", "credential 'imprint.meta-data' in /run/credentials/@system"};
    try {
        sourceDataFromCredentials(set, "/run/credentials/@system");
        FAIL() << "a list was taken as meta-data";
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("credential 'imprint.meta-data' in /run/credentials/@system"), std::string::npos)
            << e.what();
    }
}

TEST(Credentials, APlatformSourceWinsAndAnExplicitChoiceWinsOverIt)
{
    FakeRoot root;
    root.dmi(with(kLaptop, {{"sys_vendor", "Hetzner"}}));
    root.file("/run/credentials/@system/system.hostname", "web-07");
    auto d = root.detect();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->provider->name(), "hetzner");  // systemd-imds-import ran there too: the cloud's source reads more

    root.file("/run/credentials/@system/imprint.source", "credentials\n");
    d = root.detect();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->provider->name(), "credentials");
    EXPECT_NE(d->signal.find("credential 'imprint.source'"), std::string::npos) << d->signal;

    root.file("/run/credentials/@system/imprint.source", "frobnicate");
    EXPECT_THROW(root.detect(), Error);
}

TEST(Credentials, ACredentialThatIsASymlinkIsRefused)
{
    FakeRoot root;
    root.file("/etc/secret", "not a credential");
    std::filesystem::create_directories(root.dir() + "/run/credentials/@system");
    std::filesystem::create_symlink("/etc/secret", root.dir() + "/run/credentials/@system/system.hostname");
    auto provider = makeCredentialsProvider(processEnv);
    Host host(root.dir());
    Config config;
    FetchContext ctx{host, config, std::nullopt, std::nullopt, nullptr, nullptr};
    EXPECT_THROW(provider->fetch(ctx), Error);
}

TEST(Credentials, InSystemdImdsLockedModeTheyComeFirst)
{
    FakeRoot root;
    root.dmi(with(kLaptop, {{"sys_vendor", "Hetzner"}}));
    root.file("/run/credentials/@system/firstboot.hostname", "from-imds");
    root.file("/proc/cmdline", "root=/dev/vda1 systemd.imds.network=locked\n");
    auto d = root.detect();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->provider->name(), "credentials");
    EXPECT_NE(d->signal.find("systemd.imds.network=locked"), std::string::npos) << d->signal;
    root.file("/proc/cmdline", "root=/dev/vda1 systemd.imds.network=unlocked\n");
    EXPECT_EQ(root.detect()->provider->name(), "hetzner");
}
