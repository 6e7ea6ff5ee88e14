// Properties of the renderer checked with the real Nix: for a few hundred instances full of
// hostile strings (quotes, backslashes, "${", "''", comments, control characters, non-ASCII),
// every overlay parses (`nix-instantiate --parse`), and evaluating it with the stub lib gives
// back exactly the instance's strings in exactly the intended attributes — nothing more.

#include "agent/render/render.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>

using namespace imprint;
using namespace imprint::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kPieces = {
    "\"", "\\", "$", "${", "}", "${builtins.abort \"x\"}", "''", "''${", "'''", "\\$", "$$", "#", "/*", "*/", ";", "=",
    "\n", "\r", "\t", "\x01", "\x1b[31m", "\x7f", "é", "日本", "😀", "\xe2\x80\xae", " ", "a", "Z", "0", "-", "_", ".",
    "/", "rec", "let", "in", "or", "__curPos", "inherit", "null", "true", "x'", "lib.mkForce", "import /etc/passwd"};

std::string hostile(std::mt19937 & rng)
{
    std::uniform_int_distribution<int> len(0, 8), pick(0, static_cast<int>(kPieces.size()) - 1);
    std::string s;
    for (int i = len(rng); i > 0; --i)
        s += kPieces[pick(rng)];
    return s;
}

json overrideOf(int prio, json content)
{
    return json{{"_type", "override"}, {"priority", prio}, {"content", std::move(content)}};
}

struct Sample
{
    InstanceData in;
    RenderOptions opt;
    json expected;
};

Sample makeSample(std::mt19937 & rng)
{
    Sample s;
    InstanceData & in = s.in;
    std::bernoulli_distribution coin(0.6);
    in.source = "nocloud";
    in.instanceId = hostile(rng);
    s.opt.priority = std::uniform_int_distribution<int>(0, 1500)(rng);
    if (coin(rng)) s.opt.sshUser = hostile(rng);
    if (coin(rng)) in.hostname = hostile(rng);
    if (coin(rng)) in.domain = hostile(rng);
    if (coin(rng)) in.rootDevice = RootDevice{hostile(rng), coin(rng) ? std::optional(hostile(rng)) : std::nullopt};
    if (coin(rng)) for (int i = 0; i < 2; ++i) in.sshAuthorizedKeys.push_back(hostile(rng));
    if (coin(rng))
        for (int i = 0; i < 2; ++i) {
            // normalize() admits only user names isValidUserName() accepts (a user name with a
            // control character would become a dynamic attribute, defined twice), and folds the
            // ssh user's keys into sshAuthorizedKeys.
            static const std::vector<std::string> users = {"alice", "in", "or", "rec", "let", "_x-1", "root", "inherit", "a-"};
            std::string user = users[std::uniform_int_distribution<std::size_t>(0, users.size() - 1)(rng)];
            if (user != s.opt.sshUser)
                in.userKeys[user] = {hostile(rng)};
        }
    if (coin(rng)) in.timezone = hostile(rng);
    if (coin(rng))
        for (int i = 0; i < 3; ++i)
            in.facts[hostile(rng)][hostile(rng)] = hostile(rng);

    json e = json::object();
    int p = s.opt.priority;
    if (in.hostname) {
        e["networking"]["hostName"] = overrideOf(p, *in.hostname);
        if (in.domain) e["networking"]["domain"] = overrideOf(p, *in.domain);
    }
    if (in.rootDevice) {
        e["fileSystems"]["/"]["device"] = overrideOf(p, in.rootDevice->device);
        e["fileSystems"]["/"]["label"] = overrideOf(p, nullptr);
        if (in.rootDevice->fsType) e["fileSystems"]["/"]["fsType"] = overrideOf(p, *in.rootDevice->fsType);
    }
    if (!in.sshAuthorizedKeys.empty())
        e["users"]["users"][s.opt.sshUser]["openssh"]["authorizedKeys"]["keys"] = in.sshAuthorizedKeys;
    for (const auto & [user, keys] : in.userKeys) {
        e["users"]["users"][user]["openssh"]["authorizedKeys"]["keys"] = keys;
        if (user != "root")
            e["users"]["users"][user]["isNormalUser"] = overrideOf(1000, true);
    }
    if (in.timezone) e["time"]["timeZone"] = overrideOf(p, *in.timezone);
    if (!in.facts.empty()) e["services"]["imprint"]["facts"] = in.facts;
    s.expected = e;
    return s;
}

} // namespace

TEST(RenderProperties, HostileStringsParseAndEvaluateToExactlyThemselves)
{
    if (!haveNix())
        GTEST_SKIP() << "nix-instantiate (Debian's nix-bin) is not installed: the Nix property check cannot run";
    constexpr int kSamples = 300;
    std::mt19937 rng(20261121);
    TempDir dir;
    std::vector<Sample> samples;
    std::string list = "[\n";
    for (int i = 0; i < kSamples; ++i) {
        samples.push_back(makeSample(rng));
        std::string overlay = renderOverlay(samples.back().in, samples.back().opt);
        fs::path file = dir / ("overlay-" + std::to_string(i) + ".nix");
        writeFile(file, overlay);
        // The overlay's own check (`warnings`, which reads the final configuration) is left out:
        // there is no configuration here. It is parsed with the rest, hostile strings included.
        list += "  (builtins.removeAttrs (import " + file.string() +
                " { inherit lib; config = {}; options = {}; pkgs = {}; }) [ \"warnings\" ])\n";
    }
    list += "]";
    // One parse per file (a parse error names the file), then one evaluation of all of them.
    for (int i = 0; i < kSamples; ++i) {
        fs::path file = dir / ("overlay-" + std::to_string(i) + ".nix");
        auto r = runProcess({"nix-instantiate", "--parse", file.string()}, {{"NIX_STATE_DIR", (dir / "state").string()}});
        ASSERT_EQ(r.exitCode, 0) << r.err << "\n" << readFile(file);
    }
    std::string expr = "let lib = rec { mkOverride = priority: content: { _type = \"override\"; inherit priority content; }; mkDefault = mkOverride 1000; };\nin " + list;
    auto r = runProcess({"nix-instantiate", "--store", "dummy://", "--eval", "--strict", "--json", "--expr", expr},
                        {{"NIX_STATE_DIR", (dir / "state").string()}, {"HOME", dir.path().string()}});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json got = json::parse(r.out);
    ASSERT_EQ(got.size(), samples.size());
    for (int i = 0; i < kSamples; ++i)
        EXPECT_EQ(got[i], samples[i].expected) << "overlay-" << i << ".nix:\n" << renderOverlay(samples[i].in, samples[i].opt);
}
