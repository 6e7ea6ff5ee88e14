// The renderer: golden files, the single escaping function against hostile strings, and every
// rendered overlay checked by the real nix-instantiate (parse, then evaluate with a stub lib).
// Regenerate the golden files with IMPRINT_UPDATE_GOLDEN=1.

#include "agent/system/error.hh"
#include "agent/render/render.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>

using namespace imprint;
using namespace imprint::test;
using nlohmann::json;

namespace {

InstanceData fullInstance()
{
    InstanceData in;
    in.source = "nocloud";
    in.instanceId = "iid-local01";
    in.hostname = "web-1";
    in.domain = "example.org";
    in.fqdn = "web-1.example.org";
    in.rootDevice = RootDevice{"/dev/disk/by-uuid/0b2c7a8e-4f1d-4c1b-9a51-3f0e5d6c7b8a", "ext4"};
    in.sshAuthorizedKeys = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@example"};
    in.userKeys["deploy"] = {"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA2kGmfIHTf1n0Tb6vuMpyGxG6uF0cm8n9RJz bob"};
    in.timezone = "Europe/Paris";
    in.facts["labels"]["app.kubernetes.io/component"] = "web";
    in.facts["platform"]["region"] = "eu-west-1";
    return in;
}

void checkGolden(const std::string & name, const std::string & actual)
{
    auto path = fixture("golden/" + name);
    if (std::getenv("IMPRINT_UPDATE_GOLDEN")) {
        writeFile(path, actual);
        return;
    }
    ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing; run with IMPRINT_UPDATE_GOLDEN=1";
    EXPECT_EQ(readFile(path), actual) << "golden file " << path << " differs; regenerate with IMPRINT_UPDATE_GOLDEN=1 if intended";
}

json evalOrFail(const std::string & text)
{
    std::string err;
    auto out = nixEvalModule(text, &err);
    if (!out) {
        ADD_FAILURE() << "nix-instantiate --eval failed:\n" << err << "\non:\n" << text;
        return json();
    }
    return json::parse(*out);
}

#define REQUIRE_NIX() \
    if (!haveNix()) GTEST_FAIL() << "nix-instantiate is missing: scripts/install-deps.sh --tests installs Debian's nix-bin"

} // namespace

TEST(NixString, EscapesEverythingThatIsSyntax)
{
    EXPECT_EQ(nixString("plain"), "\"plain\"");
    EXPECT_EQ(nixString("a\"b"), "\"a\\\"b\"");
    EXPECT_EQ(nixString("a\\b"), "\"a\\\\b\"");
    EXPECT_EQ(nixString("${x}"), "\"\\${x}\"");
    EXPECT_EQ(nixString("$"), "\"\\$\"");
    EXPECT_EQ(nixString("l1\nl2\tx\r"), "\"l1\\nl2\\tx\\r\"");
    EXPECT_THROW(nixString(std::string("a\0b", 3)), Error);
}

TEST(NixAttrName, QuotesWhatIsNotAPlainIdentifier)
{
    EXPECT_EQ(nixAttrName("root"), "root");
    EXPECT_EQ(nixAttrName("my-user_1"), "my-user_1");
    EXPECT_EQ(nixAttrName("app.kubernetes.io/name"), "\"app.kubernetes.io/name\"");
    EXPECT_EQ(nixAttrName("1abc"), "\"1abc\"");
    EXPECT_EQ(nixAttrName("inherit"), "\"inherit\"");
    EXPECT_EQ(nixAttrName("or"), "\"or\"");
    EXPECT_EQ(nixAttrName(""), "\"\"");
}

TEST(RenderOverlay, MatchesGoldenFiles)
{
    checkGolden("full.nix", renderOverlay(fullInstance(), RenderOptions{}));
    InstanceData minimal;
    minimal.source = "nocloud";
    minimal.instanceId = "iid-min";
    checkGolden("minimal.nix", renderOverlay(minimal, RenderOptions{}));
    InstanceData keysOnly = minimal;
    keysOnly.sshAuthorizedKeys = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a"};
    checkGolden("keys-admin-user.nix", renderOverlay(keysOnly, RenderOptions{75, "admin"}));
    checkGolden("image-media-override.nix", renderOverlay(fullInstance(), RenderOptions{90, "root", 60, 100}));
    // The other shapes of nixpkgs' images (tests/nixos-real evaluates these on them): "/" alone at
    // lib.mkImageMediaOverride (cloudstack) and at lib.mkDefault (amazon, digital-ocean).
    checkGolden("full-root-at-60.nix", renderOverlay(fullInstance(), RenderOptions{90, "root", 100, 60}));
    checkGolden("full-root-at-1000.nix", renderOverlay(fullInstance(), RenderOptions{90, "root", 100, 1000}));
    // Containers and live media: no root block device.
    InstanceData noRoot = fullInstance();
    noRoot.rootDevice.reset();
    checkGolden("no-root-device.nix", renderOverlay(noRoot, RenderOptions{}));
}

// A priority of 50 or less at the outer levels is a deliberate lib.mkForce (the administrator's
// or the image's): the overlay must not join it there, or its own values would win inside.
TEST(RenderOverlay, NeverJoinsAForcedFileSystemsDefinition)
{
    EXPECT_EQ(renderOverlay(fullInstance(), RenderOptions{90, "root", 50, 50}), renderOverlay(fullInstance(), RenderOptions{}));
    EXPECT_EQ(renderOverlay(fullInstance(), RenderOptions{90, "root", 100, 10}), renderOverlay(fullInstance(), RenderOptions{}));
    auto media = renderOverlay(fullInstance(), RenderOptions{90, "root", 60, 50});
    EXPECT_NE(media.find("fileSystems = lib.mkOverride 60 {\n    \"/\" = {\n"), std::string::npos) << media;
    EXPECT_EQ(media.find("mkOverride 50"), std::string::npos) << media;
}

// What the overlay asks for is checked in the evaluation: each option it sets, in a `warnings`
// entry that names the option when another definition won.
TEST(RenderOverlay, ChecksThatEachValueReachesTheConfiguration)
{
    auto text = renderOverlay(fullInstance(), RenderOptions{});
    for (const char * option : {"networking.hostName", "networking.domain", "fileSystems.\\\"/\\\".device",
                                "fileSystems.\\\"/\\\".fsType", "users.users.root.openssh.authorizedKeys.keys",
                                "users.users.deploy.openssh.authorizedKeys.keys", "time.timeZone"})
        EXPECT_NE(text.find(std::string("\"") + option + "\""), std::string::npos) << option << " in\n" << text;
    InstanceData minimal;
    minimal.source = "nocloud";
    EXPECT_EQ(renderOverlay(minimal, {}).find("warnings"), std::string::npos);
}

TEST(RenderOverlay, IsDeterministic)
{
    EXPECT_EQ(renderOverlay(fullInstance(), {}), renderOverlay(fullInstance(), {}));
}

TEST(RenderOverlay, PreserveHostnameLeavesTheNameAlone)
{
    auto in = fullInstance();
    in.preserveHostname = true;
    auto text = renderOverlay(in, {});
    EXPECT_EQ(text.find("networking.hostName"), std::string::npos);
    EXPECT_EQ(text.find("networking.domain"), std::string::npos);
}

TEST(RenderOverlay, EvaluatesToTheInstanceWithPriorities)
{
    REQUIRE_NIX();
    auto in = fullInstance();
    auto text = renderOverlay(in, RenderOptions{90, "root"});
    EXPECT_EQ(nixParseError(text), "");
    json v = evalOrFail(text);
    ASSERT_TRUE(v.is_object());
    auto prio = [](const json & j) { return j.at("priority").get<int>(); };
    EXPECT_EQ(v["networking"]["hostName"]["content"], "web-1");
    EXPECT_EQ(prio(v["networking"]["hostName"]), 90);
    EXPECT_EQ(v["networking"]["domain"]["content"], "example.org");
    EXPECT_EQ(v["fileSystems"]["/"]["device"]["content"], in.rootDevice->device);
    EXPECT_EQ(prio(v["fileSystems"]["/"]["device"]), 90);
    EXPECT_TRUE(v["fileSystems"]["/"]["label"]["content"].is_null());
    EXPECT_EQ(prio(v["fileSystems"]["/"]["label"]), 90);
    EXPECT_EQ(v["fileSystems"]["/"]["fsType"]["content"], "ext4");
    EXPECT_EQ(prio(v["fileSystems"]["/"]["fsType"]), 90);
    EXPECT_EQ(v["users"]["users"]["root"]["openssh"]["authorizedKeys"]["keys"], json(in.sshAuthorizedKeys));
    EXPECT_EQ(v["users"]["users"]["deploy"]["openssh"]["authorizedKeys"]["keys"], json(in.userKeys["deploy"]));
    EXPECT_EQ(v["users"]["users"]["deploy"]["isNormalUser"]["content"], true);
    EXPECT_EQ(prio(v["users"]["users"]["deploy"]["isNormalUser"]), 1000);
    EXPECT_EQ(v["time"]["timeZone"]["content"], "Europe/Paris");
    EXPECT_EQ(v["services"]["imprint"]["facts"]["labels"]["app.kubernetes.io/component"], "web");
    EXPECT_EQ(v["services"]["imprint"]["facts"]["platform"]["region"], "eu-west-1");
}

TEST(RenderOverlay, ConfiguredPriorityIsUsedEverywhere)
{
    REQUIRE_NIX();
    json v = evalOrFail(renderOverlay(fullInstance(), RenderOptions{60, "root"}));
    EXPECT_EQ(v["networking"]["hostName"]["priority"], 60);
    EXPECT_EQ(v["fileSystems"]["/"]["label"]["priority"], 60);
    EXPECT_EQ(v["time"]["timeZone"]["priority"], 60);
}

// An image that defines all of fileSystems at lib.mkImageMediaOverride (60), as nixpkgs'
// disk-image.nix does: the overlay's definition must sit at 60 at the outer level (or nixpkgs drops
// it) and at the image's priority for the "/" entry, with the overlay's own priority inside.
TEST(RenderOverlay, RootFileSystemJoinsTheImagePriorities)
{
    REQUIRE_NIX();
    auto text = renderOverlay(fullInstance(), RenderOptions{90, "root", 60, 1000});
    ASSERT_EQ(nixParseError(text), "") << text;
    json v = evalOrFail(text);
    json fs = v["fileSystems"];
    ASSERT_EQ(fs["_type"], "override") << fs.dump();
    EXPECT_EQ(fs["priority"], 60);
    json root = fs["content"]["/"];
    EXPECT_EQ(root["priority"], 1000);
    EXPECT_EQ(root["content"]["device"]["content"], fullInstance().rootDevice->device);
    EXPECT_EQ(root["content"]["device"]["priority"], 90);
    EXPECT_TRUE(root["content"]["label"]["content"].is_null());
    EXPECT_EQ(root["content"]["fsType"]["priority"], 90);
    EXPECT_EQ(v["networking"]["hostName"]["priority"], 90) << "only fileSystems takes the image's priorities";

    // Plain levels stay plain: no mkOverride 100 wrapper.
    json plainRoot = evalOrFail(renderOverlay(fullInstance(), RenderOptions{90, "root", 60, 100}))["fileSystems"];
    EXPECT_EQ(plainRoot["priority"], 60);
    EXPECT_EQ(plainRoot["content"]["/"]["device"]["priority"], 90);
}

// Strings an attacker controls (pod annotations, metadata values) must come back byte for byte
// and never become syntax.
TEST(RenderOverlay, HostileStringsRoundTripThroughNix)
{
    REQUIRE_NIX();
    const std::vector<std::string> hostile = {
        "\"; networking.firewall.enable = false; x = \"",
        "${builtins.abort \"pwned\"}",
        "$${x}", "\\${x}", "\\", "\\\\\"", "''${x}''", "'' ''",
        "line1\nline2\r\n\ttab",
        std::string("bell\x07" "esc\x1b[31m" "del\x7f"),
        "# not a comment */ /* nor this",
        "unicode: ünïcödé ✓ 日本 🚀",
        "a = b; }; { c = d;",
        "$", "$\"", "\\$", "${", "}",
    };
    InstanceData in;
    in.source = "kubernetes";
    in.instanceId = "iid";
    int i = 0;
    for (const auto & s : hostile) {
        in.facts["annotations"]["value-" + std::to_string(i)] = s;
        in.facts["labels"][s] = "key-" + std::to_string(i);
        ++i;
    }
    auto text = renderOverlay(in, {});
    ASSERT_EQ(nixParseError(text), "") << text;
    json v = evalOrFail(text);
    json facts = v["services"]["imprint"]["facts"];
    ASSERT_TRUE(facts.is_object()) << v.dump();
    EXPECT_EQ(v.size(), 1u) << "the overlay defines something it should not: " << v.dump();
    EXPECT_EQ(facts.size(), 2u);
    for (i = 0; i < static_cast<int>(hostile.size()); ++i) {
        EXPECT_EQ(facts["annotations"]["value-" + std::to_string(i)], hostile[i]) << "value " << i;
        EXPECT_EQ(facts["labels"][hostile[i]], "key-" + std::to_string(i)) << "key " << i;
    }
}
