// GCE end to end: the real binary against the stand-in (tests/stand-in.cc).
#include "tests/support/platform-server-helpers.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace imprint;
using namespace imprint::test;
using nlohmann::json;
namespace fs = std::filesystem;

TEST(GceFetch, BlockProjectSshKeys)
{
    // Same fixture plus block-project-ssh-keys: carol's project key must go.
    std::string tmp = makeTempDir("gce-block");
    fs::copy(fixture("gce/basic"), tmp + "/fx");
    std::ofstream(tmp + "/fx/block-project-ssh-keys") << "true";
    auto ps = startPlatformServer("gce", tmp + "/fx");
    auto r = runCapture({IMPRINT_BINARY, "--root", tmp, "--source", "gce", "--endpoint", ps->endpoint, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    ASSERT_EQ(j["ssh_authorized_keys"].size(), 1u) << j.dump();
    EXPECT_NE(j["ssh_authorized_keys"][0].get<std::string>().find("ops@bastion"), std::string::npos);
    ASSERT_EQ(j["users"].size(), 1u) << j.dump();
    EXPECT_NE(j["users"]["alice"]["ssh_authorized_keys"][0].get<std::string>().find("alice@laptop"), std::string::npos);
    fs::remove_all(tmp);
}

TEST(GceFetch, KeysGoToTheirOwnUsers)
{
    std::string root = makeTempDir("gce-users");
    auto ps = startPlatformServer("gce", "gce/basic", root);
    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--source", "gce", "--endpoint", ps->endpoint, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    // root:... goes to ssh_user (root by default); alice (instance) and carol (project) become
    // accounts; bob's key expired; Deploy.Bot is no NixOS user name.
    ASSERT_EQ(j["ssh_authorized_keys"].size(), 1u) << j.dump();
    EXPECT_NE(j["ssh_authorized_keys"][0].get<std::string>().find("ops@bastion"), std::string::npos);
    ASSERT_EQ(j["users"].size(), 2u) << j.dump();
    EXPECT_NE(j["users"]["alice"]["ssh_authorized_keys"][0].get<std::string>().find("alice@laptop"), std::string::npos);
    EXPECT_NE(j["users"]["carol"]["ssh_authorized_keys"][0].get<std::string>().find("carol@ci"), std::string::npos);
    EXPECT_FALSE(j["users"].contains("bob"));
    // The skipped entry is named by its metadata key and user, never by its key material.
    EXPECT_NE(r.err.find("/computeMetadata/v1/instance/attributes/ssh-keys"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("'Deploy.Bot'"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("AAAAC3NzaC1lZDI1NTE5AAAAIG7hJ6kL"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("deploy-bot@ci"), std::string::npos) << r.err;

    // The overlay declares the accounts, as cloud-config users[] does.
    auto rendered = runCapture({IMPRINT_BINARY, "--root", root, "--source", "gce", "--endpoint", ps->endpoint, "render"});
    ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
    EXPECT_NE(rendered.out.find("users.users.alice.isNormalUser = lib.mkDefault true;"), std::string::npos) << rendered.out;
    EXPECT_NE(rendered.out.find("users.users.carol.openssh.authorizedKeys.keys"), std::string::npos) << rendered.out;
    EXPECT_NE(rendered.out.find("users.users.root.openssh.authorizedKeys.keys"), std::string::npos) << rendered.out;
    EXPECT_EQ(rendered.out.find("Deploy"), std::string::npos) << rendered.out;
    fs::remove_all(root);
}

TEST(GceFetch, KeysOfTheConfiguredSshUserStayWithIt)
{
    std::string root = makeTempDir("gce-sshuser");
    fs::create_directories(root + "/etc/imprint");
    std::ofstream(root + "/etc/imprint/imprint.yaml") << "ssh_user: alice\n";
    auto ps = startPlatformServer("gce", "gce/basic", root);
    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--source", "gce", "--endpoint", ps->endpoint, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    // alice's and root's keys both go to ssh_user alice; carol still gets her own account.
    ASSERT_EQ(j["ssh_authorized_keys"].size(), 2u) << j.dump();
    EXPECT_NE(j["ssh_authorized_keys"][0].get<std::string>().find("alice@laptop"), std::string::npos);
    EXPECT_NE(j["ssh_authorized_keys"][1].get<std::string>().find("ops@bastion"), std::string::npos);
    ASSERT_EQ(j["users"].size(), 1u) << j.dump();
    EXPECT_TRUE(j["users"].contains("carol"));
    fs::remove_all(root);
}
