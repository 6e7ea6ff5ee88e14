// The real binary on fake machine trees (--root), with the stub rebuild recording its argv.

#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace imprint::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string stub() { return "nixos-rebuild switch"; }

Result run(const FakeMachine & m, std::vector<std::string> args)
{
    std::vector<std::string> all{"--root", m.root().string()};
    all.insert(all.end(), args.begin(), args.end());
    return runImprint(all, m.env());
}

int lineCount(const std::string & s)
{
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

} // namespace

TEST(Run, FirstRunCommitsAndRebuildsOnceThenNothing)
{
    FakeMachine m;
    m.writeConfig();
    m.installSeed("nocloud/plain");
    auto r = run(m, {"run"});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("result: applied"), std::string::npos) << r.out;
    EXPECT_EQ(m.stubCalls(), std::vector<std::string>{stub()});
    std::string overlay = readFile(m.root() / "var/lib/imprint/host.nix");
    EXPECT_NE(overlay.find("networking.hostName = lib.mkOverride 90 \"web-1\";"), std::string::npos) << overlay;
    json instance = json::parse(readFile(m.root() / "run/imprint/instance.json"));
    EXPECT_EQ(instance["instance_id"], "iid-local01");
    EXPECT_EQ(instance["hostname"], "web-1");
    json state = json::parse(readFile(m.root() / "var/lib/imprint/state.json"));
    EXPECT_EQ(state["result"], "applied");
    EXPECT_EQ(state["instance_id"], "iid-local01");
    EXPECT_EQ(state["applied_overlay_sha256"].get<std::string>().size(), 64u);

    auto again = run(m, {"run"});
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_NE(again.out.find("result: unchanged"), std::string::npos) << again.out;
    EXPECT_EQ(m.stubCalls().size(), 1u) << "an unchanged run must not rebuild";

    auto forced = run(m, {"run", "--force"});
    ASSERT_EQ(forced.exitCode, 0) << forced.err;
    EXPECT_EQ(m.stubCalls().size(), 2u);
}

TEST(Run, FlakeArgvFromConfig)
{
    FakeMachine m;
    m.writeConfig("  flake: /var/lib/imprint/flake\n  attribute: generic\n  offline: true\n");
    m.installSeed("nocloud/plain");
    auto r = run(m, {"run"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(m.stubCalls(), std::vector<std::string>{"nixos-rebuild switch --flake /var/lib/imprint/flake#generic --option substitute false"});
}

TEST(Run, AChangedSeedRebuildsOnceAndKeepsThePreviousOverlay)
{
    FakeMachine m;
    m.writeConfig();
    m.installSeed("nocloud/plain");
    ASSERT_EQ(run(m, {"run"}).exitCode, 0);
    std::string first = readFile(m.root() / "var/lib/imprint/host.nix");
    m.installSeed("nocloud/gzip");
    auto r = run(m, {"run"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("new instance iid-gzip (was iid-local01)"), std::string::npos) << r.err;
    EXPECT_EQ(m.stubCalls().size(), 2u);
    EXPECT_EQ(readFile(m.root() / "var/lib/imprint/host.nix.previous"), first);
    EXPECT_NE(readFile(m.root() / "var/lib/imprint/host.nix").find("gz-host"), std::string::npos);
}

TEST(Run, AFailedRebuildPutsThePreviousOverlayBack)
{
    FakeMachine m;
    m.writeConfig();
    m.installSeed("nocloud/plain");
    ASSERT_EQ(run(m, {"run"}).exitCode, 0);
    std::string good = readFile(m.root() / "var/lib/imprint/host.nix");
    m.installSeed("nocloud/gzip");
    writeFile(m.stubExit(), "4\n");
    auto r = run(m, {"run"});
    EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("the rebuild failed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("status 4"), std::string::npos) << r.err;
    EXPECT_EQ(readFile(m.root() / "var/lib/imprint/host.nix"), good);
    json state = json::parse(readFile(m.root() / "var/lib/imprint/state.json"));
    EXPECT_EQ(state["result"], "failed");
    EXPECT_NE(state["reason"].get<std::string>().find("status 4"), std::string::npos);
    auto status = run(m, {"status"});
    EXPECT_EQ(status.exitCode, 0);
    EXPECT_NE(status.out.find("failed"), std::string::npos) << status.out;

    // Once the rebuild works again, the same input is applied.
    fs::remove(m.stubExit());
    auto retry = run(m, {"run"});
    EXPECT_EQ(retry.exitCode, 0) << retry.err;
    EXPECT_NE(readFile(m.root() / "var/lib/imprint/host.nix").find("gz-host"), std::string::npos);
}

TEST(Run, WhatTheRebuiltSystemDidNotTakeIsInStatusAndTheLog)
{
    // The module writes the overlay's own "imprint: ..." warnings into the system it builds;
    // after the rebuild imprint reads them from the system now current.
    FakeMachine m;
    m.writeConfig();
    m.installSeed("nocloud/plain");
    const std::string lost = "imprint: networking.hostName is \"chosen-by-admin\" (defined in /etc/nixos/host.nix), "
                             "not \"web-1\" as this machine's overlay asks: a definition of higher priority won";
    writeFile(m.root() / "run/current-system/etc/imprint/not-applied.json", json::array({lost}).dump());
    auto r = run(m, {"run"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("warning: " + lost), std::string::npos) << r.err;
    json state = json::parse(readFile(m.root() / "var/lib/imprint/state.json"));
    EXPECT_EQ(state["not_applied"], json::array({lost}));
    auto status = run(m, {"status"});
    EXPECT_NE(status.out.find("not applied:  " + lost), std::string::npos) << status.out;
    auto asJson = run(m, {"--json", "status"});
    EXPECT_EQ(json::parse(asJson.out)["not_applied"], json::array({lost}));

    // A system that took everything says nothing.
    writeFile(m.root() / "run/current-system/etc/imprint/not-applied.json", "[]");
    m.installSeed("nocloud/gzip");
    ASSERT_EQ(run(m, {"run"}).exitCode, 0);
    EXPECT_EQ(json::parse(readFile(m.root() / "var/lib/imprint/state.json"))["not_applied"], json::array());
    EXPECT_EQ(run(m, {"status"}).out.find("not applied"), std::string::npos);
}

TEST(Run, DryRunWritesNothing)
{
    FakeMachine m;
    m.writeConfig();
    m.installSeed("nocloud/plain");
    auto r = run(m, {"run", "--dry-run"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("dry run"), std::string::npos);
    EXPECT_NE(r.out.find("rebuild: " + std::string(IMPRINT_STUB_REBUILD) + " switch"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(m.root() / "var/lib/imprint"));
    EXPECT_FALSE(fs::exists(m.root() / "run/imprint/instance.json"));
    EXPECT_TRUE(m.stubCalls().empty());
}

TEST(Run, NoRebuildCommitsOnlyAndALaterRunRebuilds)
{
    FakeMachine m;
    m.writeConfig();
    m.installSeed("nocloud/plain");
    auto r = run(m, {"run", "--no-rebuild"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("result: committed"), std::string::npos);
    EXPECT_TRUE(m.stubCalls().empty());
    EXPECT_TRUE(fs::exists(m.root() / "var/lib/imprint/host.nix"));
    EXPECT_NE(run(m, {"run", "--no-rebuild"}).out.find("unchanged"), std::string::npos);
    ASSERT_EQ(run(m, {"run"}).exitCode, 0);
    EXPECT_EQ(m.stubCalls().size(), 1u);
}

TEST(Run, BadInputIsOneLineAndLosesNothing)
{
    FakeMachine m;
    m.writeConfig();
    m.installSeed("nocloud/plain");
    ASSERT_EQ(run(m, {"run"}).exitCode, 0);
    std::string overlay = readFile(m.root() / "var/lib/imprint/host.nix");
    std::string state = readFile(m.root() / "var/lib/imprint/state.json");
    fs::path seed = m.root() / "var/lib/cloud/seed/nocloud";
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"meta-data", "instance-id: [unclosed\n"},
        {"meta-data", "local-hostname: x\n"},
        {"meta-data", std::string(200000, '[')},
        {"meta-data", std::string("instance-id: a\0b\n", 17)},
        {"meta-data", "instance-id: \xff\xfe\n"},
        {"user-data", "#cloud-config\nhostname: [1, 2\n"},
        {"user-data", "\x1f\x8b\x08\x00garbage"},
    };
    for (const auto & [file, content] : bad) {
        SCOPED_TRACE(file + ": " + content.substr(0, 40));
        m.installSeed("nocloud/plain");
        writeFile(seed / file, content);
        auto r = run(m, {"run", "--force"});
        EXPECT_EQ(r.exitCode, 1) << r.err;
        EXPECT_EQ(lineCount(r.err), 1) << r.err;
        EXPECT_NE(r.err.find("/var/lib/cloud/seed/nocloud/" + file), std::string::npos) << r.err;
        EXPECT_EQ(readFile(m.root() / "var/lib/imprint/host.nix"), overlay);
        EXPECT_EQ(readFile(m.root() / "var/lib/imprint/state.json"), state);
    }
    EXPECT_EQ(m.stubCalls().size(), 1u);
}

TEST(Run, UnreadableDeviceIsAClearError)
{
    FakeMachine m;
    m.writeConfig();
    fs::create_directories(m.root() / "dev/disk/by-label");
    fs::create_symlink("../../sr0", m.root() / "dev/disk/by-label/cidata");
    auto r = run(m, {"run"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_EQ(lineCount(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("/dev/disk/by-label/cidata"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(m.root() / "var/lib/imprint/state.json"));
}

TEST(Run, NoSourceExitsThree)
{
    FakeMachine m;
    m.writeConfig();
    auto r = run(m, {"detect"});
    EXPECT_EQ(r.exitCode, 3) << r.out << r.err;
    EXPECT_EQ(run(m, {"run"}).exitCode, 3);
}

TEST(Run, UsageAndConfigErrorsExitTwo)
{
    FakeMachine m;
    EXPECT_EQ(runImprint({"--bogus"}).exitCode, 2);
    EXPECT_EQ(runImprint({"--source", "nope", "detect"}).exitCode, 2);
    writeFile(m.root() / "etc/imprint/imprint.yaml", "overlay:\n  priority: high\n");
    auto r = run(m, {"detect"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("overlay.priority"), std::string::npos) << r.err;
}

TEST(Run, DetectSaysWhichSignal)
{
    FakeMachine m;
    m.installSeed("nocloud/plain");
    auto r = run(m, {"--json", "detect"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["source"], "nocloud");
    EXPECT_EQ(j["signal"], "seed directory /var/lib/cloud/seed/nocloud");
}

TEST(Run, FetchAndRenderFromAnExplicitSource)
{
    auto r = runImprint({"--source", "nocloud:" + fixture("nocloud/multipart").string(), "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["hostname"], "second");
    TempDir emptyMachine;  // no mountinfo: no root device in the overlay
    auto rendered = runImprint({"--root", emptyMachine.path().string(), "--source", "nocloud:" + fixture("nocloud/plain").string(), "render"});
    ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
    EXPECT_NE(rendered.out.find("time.timeZone = lib.mkOverride 90 \"Europe/Paris\";"), std::string::npos);
    if (haveNix()) {
        EXPECT_EQ(nixParseError(rendered.out), "");
        auto v = nixEvalModule(rendered.out);
        ASSERT_TRUE(v);
        EXPECT_EQ(json::parse(*v)["networking"]["hostName"]["content"], "web-1");
    }
}

TEST(Run, HelpAndVersion)
{
    auto help = runImprint({"--help"});
    EXPECT_EQ(help.exitCode, 0);
    for (const char * word : {"detect", "fetch", "render", "run", "status", "--root", "--source", "Exit codes"})
        EXPECT_NE(help.out.find(word), std::string::npos) << word;
    auto v = runImprint({"--version"});
    EXPECT_EQ(v.exitCode, 0);
    EXPECT_NE(v.out.find("imprint "), std::string::npos);
}

TEST(Cli, UnknownCommandsArgumentsAndMissingRootAreNamed)
{
    auto r = runImprint({"frobnicate"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
    r = runImprint({});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("a command is required"), std::string::npos) << r.err;
    r = runImprint({"run", "--bogus"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("unknown argument '--bogus'"), std::string::npos) << r.err;
    r = runImprint({"--root", "/nonexistent-imprint-root", "detect"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("--root /nonexistent-imprint-root: no such directory"), std::string::npos) << r.err;
}
