#include "agent/cli/config.hh"
#include "agent/system/error.hh"
#include "agent/apply/rebuild.hh"

#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

using namespace imprint;

TEST(Config, EmptyMeansDefaults)
{
    Config c = parseConfig("", "imprint.yaml");
    EXPECT_EQ(c.overlayPath, "/var/lib/imprint/host.nix");
    EXPECT_EQ(c.overlayPriority, 90);
    EXPECT_EQ(c.overlayFileSystemsPriority, 100);
    EXPECT_EQ(c.overlayRootFileSystemPriority, 100);
    EXPECT_EQ(rebuildArgv(c.rebuild), (std::vector<std::string>{"nixos-rebuild", "switch"}));
}

TEST(Config, FlakeRebuildIsExplicitAboutTheAttribute)
{
    Config c = parseConfig(R"(
rebuild:
  flake: /var/lib/imprint/flake
  attribute: generic
  offline: true
  action: boot
overlay:
  priority: 80
  file_systems_priority: 60
  root_file_system_priority: 1000
)", "imprint.yaml");
    EXPECT_EQ(c.overlayPriority, 80);
    EXPECT_EQ(c.overlayFileSystemsPriority, 60);
    EXPECT_EQ(c.overlayRootFileSystemPriority, 1000);
    EXPECT_EQ(rebuildArgv(c.rebuild), (std::vector<std::string>{"nixos-rebuild", "boot", "--flake", "/var/lib/imprint/flake#generic",
                                                                 "--option", "substitute", "false"}));
}

TEST(Config, ErrorsNameTheKey)
{
    auto expectError = [](const std::string & yaml, const std::string & needle) {
        try {
            parseConfig(yaml, "/etc/imprint/imprint.yaml");
            ADD_FAILURE() << "no error for " << yaml;
        } catch (const UsageError & e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("/etc/imprint/imprint.yaml"), std::string::npos) << e.what();
            EXPECT_EQ(e.exitCode(), ExitCode::Usage);
        }
    };
    expectError("overlay:\n  priority: high\n", "overlay.priority");
    expectError("overlay:\n  priorty: 80\n", "overlay.priorty");
    expectError("overlay:\n  file_systems_priority: 10000\n", "overlay.file_systems_priority");
    expectError("rebuild:\n  action: reboot\n", "rebuild.action");
    expectError("rebuild:\n  flake: /etc/nixos\n", "rebuild.attribute");
    expectError("http:\n  retries: -1\n", "http.retries");
    expectError("typo_key: 1\n", "typo_key");
    expectError("state_dir: relative/path\n", "absolute");
    expectError("a: [", "invalid YAML");
}

// Every argv imprint builds for nixos-rebuild, one per rebuild mode x action x offline x
// extra_args, as the module renders imprint.yaml. Written to a golden file that the NixOS tier
// (tests/nixos-real/rebuild-modes.py) feeds to nixos-rebuild-ng's own parse_args. Regenerate
// with IMPRINT_UPDATE_GOLDEN=1.
TEST(Config, RebuildArgvMatrixMatchesGolden)
{
    const std::vector<std::pair<std::string, std::string>> modes = {
        {"classic", ""},
        {"flake", "  flake: path:/etc/nixos\n  attribute: generic\n"},
        {"wrapper", "  flake: path:/var/lib/imprint/flake\n  attribute: generic\n  base: path:/nix/store/00000000000000000000000000000000-source\n"},
    };
    nlohmann::json all = nlohmann::json::array();
    for (const auto & [mode, keys] : modes)
        for (const char * action : {"switch", "boot", "test", "dry-activate"})
            for (bool offline : {false, true})
                for (bool extra : {false, true}) {
                    std::string yaml = "rebuild:\n  command: [/run/current-system/sw/bin/nixos-rebuild]\n  action: " +
                                       std::string(action) + "\n  offline: " + (offline ? "true" : "false") + "\n" + keys +
                                       (extra ? "  extra_args: [--option, flake-registry, \"\"]\n" : "");
                    auto argv = rebuildArgv(parseConfig(yaml, "imprint.yaml").rebuild);
                    all.push_back({{"mode", mode}, {"argv", argv}});
                }
    auto text = all.dump(1) + "\n";
    auto path = imprint::test::fixture("golden/rebuild-argv.json");
    if (std::getenv("IMPRINT_UPDATE_GOLDEN"))
        imprint::test::writeFile(path, text);
    EXPECT_EQ(imprint::test::readFile(path), text) << "regenerate with IMPRINT_UPDATE_GOLDEN=1 if intended";
}
