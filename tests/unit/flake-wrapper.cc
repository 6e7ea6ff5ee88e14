// The wrapper flake (agent/render/flake-wrapper.hh): its text, when it is (re)written, and the memory
// check that runs before a rebuild. Evaluation of the text with Nix is in
// tests/integration/flake-wrapper-nix.cc.

#include "agent/system/error.hh"
#include "agent/render/flake-wrapper.hh"
#include "agent/apply/memory-check.hh"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace imprint;

namespace {

struct WrapperTempDir
{
    fs::path path;
    WrapperTempDir()
    {
        std::string tmpl = (fs::temp_directory_path() / "imprint-wrapper-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~WrapperTempDir() { std::error_code ec; fs::remove_all(path, ec); }
};

std::string slurp(const fs::path & p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const fs::path & p, const std::string & text)
{
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

Config wrapperConfig()
{
    Config c;
    c.overlayPath = "/var/lib/imprint/flake/host.nix";
    c.rebuild.flake = "path:/var/lib/imprint/flake";
    c.rebuild.attribute = "generic";
    c.rebuild.base = "path:/nix/store/0c7k1hmd1b4bw4plkx0wk4ah1pmbp1dw-source";
    return c;
}

} // namespace

TEST(FlakeWrapper, RendersTheImageConfigurationExtendedWithTheOverlay)
{
    WrapperFlake w{"path:/nix/store/0c7k1hmd1b4bw4plkx0wk4ah1pmbp1dw-source", "generic", "host.nix", "web-1"};
    EXPECT_EQ(renderWrapperFlake(w),
        "# Written by imprint (rebuild.base in /etc/imprint/imprint.yaml); every run rewrites it.\n"
        "# The image's configuration, pinned by its store path, extended with this machine's\n"
        "# overlay. Rebuild with: nixos-rebuild switch --flake path:<this directory>#generic\n"
        "{\n"
        "  description = \"imprint: the image's configuration with this machine's overlay\";\n"
        "  inputs.base.url = \"path:/nix/store/0c7k1hmd1b4bw4plkx0wk4ah1pmbp1dw-source\";\n"
        "  outputs = { base, ... }:\n"
        "    let\n"
        "      system = base.nixosConfigurations.generic.extendModules {\n"
        "        modules = [ ./host.nix ];\n"
        "      };\n"
        "    in\n"
        "    {\n"
        "      nixosConfigurations = {\n"
        "        generic = system;\n"
        "        web-1 = system;\n"
        "      };\n"
        "    };\n"
        "}\n");
}

TEST(FlakeWrapper, QuotesWhatIsNotAPlainName)
{
    WrapperFlake w{"git+file:///etc/nixos?ref=main&x=${y}", "my image", "host \"1\".nix", "if"};
    auto text = renderWrapperFlake(w);
    EXPECT_NE(text.find("inputs.base.url = \"git+file:///etc/nixos?ref=main&x=\\${y}\";"), std::string::npos) << text;
    EXPECT_NE(text.find("base.nixosConfigurations.\"my image\".extendModules"), std::string::npos) << text;
    EXPECT_NE(text.find("modules = [ (./. + \"/host \\\"1\\\".nix\") ];"), std::string::npos) << text;
    EXPECT_NE(text.find("        \"if\" = system;"), std::string::npos) << text;  // a keyword is quoted
}

TEST(FlakeWrapper, HostnameEqualToTheAttributeIsListedOnce)
{
    auto text = renderWrapperFlake({"path:/nix/store/x-source", "generic", "host.nix", "generic"});
    EXPECT_EQ(text.find("generic = system;"), text.rfind("generic = system;"));
    auto noHost = renderWrapperFlake({"path:/nix/store/x-source", "generic", "host.nix", std::nullopt});
    EXPECT_NE(noHost.find("generic = system;"), std::string::npos);
}

TEST(FlakeWrapper, RefusesWhatCannotBeAFlakeInput)
{
    EXPECT_THROW(renderWrapperFlake({"", "generic", "host.nix", std::nullopt}), Error);
    EXPECT_THROW(renderWrapperFlake({"path:/x", "", "host.nix", std::nullopt}), Error);
    EXPECT_THROW(renderWrapperFlake({"path:/x\n", "generic", "host.nix", std::nullopt}), Error);
    EXPECT_THROW(renderWrapperFlake({"path:/x", "generic", "../host.nix", std::nullopt}), Error);
    EXPECT_THROW(renderWrapperFlake({"path:/x", "generic", "host.nix", std::string("a\tb")}), Error);
}

TEST(FlakeWrapper, FromConfig)
{
    Config c;
    EXPECT_FALSE(wrapperFlakeFor(c, "web-1"));  // classic: no wrapper
    c = wrapperConfig();
    auto w = wrapperFlakeFor(c, "web-1");
    ASSERT_TRUE(w);
    EXPECT_EQ(w->base, *c.rebuild.base);
    EXPECT_EQ(w->attribute, "generic");
    EXPECT_EQ(w->overlayFile, "host.nix");
    EXPECT_EQ(w->hostname, "web-1");
    c.preserveHostname = true;
    EXPECT_FALSE(wrapperFlakeFor(c, "web-1")->hostname);
}

TEST(FlakeWrapper, WritesOnceAndDropsAStaleLock)
{
    WrapperTempDir t;
    Host host(t.path);
    auto dir = t.path / "var/lib/imprint/flake";
    auto c = wrapperConfig();

    auto line = prepareWrapperFlake(realDisk(), host, c, std::string("web-1"));
    ASSERT_TRUE(line);
    EXPECT_NE(line->find("/var/lib/imprint/flake/flake.nix"), std::string::npos);
    auto first = slurp(dir / "flake.nix");
    EXPECT_EQ(first, renderWrapperFlake(*wrapperFlakeFor(c, "web-1")));
    EXPECT_EQ(fs::status(dir / "flake.nix").permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

    // Nix wrote a lock; the same wrapper again leaves both alone.
    spit(dir / "flake.lock", "{\"version\": 7}");
    EXPECT_FALSE(prepareWrapperFlake(realDisk(), host, c, std::string("web-1")));
    EXPECT_TRUE(fs::exists(dir / "flake.lock"));

    // A new base (the image was upgraded) or a new name: rewritten, and the old lock goes.
    c.rebuild.base = "path:/nix/store/1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-source";
    EXPECT_TRUE(prepareWrapperFlake(realDisk(), host, c, std::string("web-1")));
    EXPECT_FALSE(fs::exists(dir / "flake.lock"));
    EXPECT_NE(slurp(dir / "flake.nix").find("1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-source"), std::string::npos);
}

TEST(FlakeWrapper, NothingWithoutBase)
{
    WrapperTempDir t;
    Host host(t.path);
    Config c;
    EXPECT_FALSE(prepareWrapperFlake(realDisk(), host, c, std::string("web-1")));
    EXPECT_TRUE(fs::is_empty(t.path));
}

TEST(MemoryCheck, ParsesProcMeminfo)
{
    auto info = parseMemInfo("MemTotal:        1004852 kB\nMemFree:          123 kB\n"
                             "MemAvailable:     612340 kB\nSwapTotal:             0 kB\nSwapFree:        10240 kB\n"
                             "HugePages_Total:       0\n");
    EXPECT_EQ(info.memTotalKb, 1004852u);
    EXPECT_EQ(info.memAvailableKb, 612340u);
    EXPECT_EQ(info.swapFreeKb, 10240u);
    EXPECT_FALSE(parseMemInfo("MemAvailable: lots\n").memAvailableKb);
    EXPECT_FALSE(parseMemInfo("").memTotalKb);
}

TEST(MemoryCheck, SaysWhyOnASmallInstance)
{
    WrapperTempDir t;
    Host host(t.path);
    EXPECT_FALSE(memoryShortfall(host, 1024)) << "no /proc/meminfo: never blocks";
    // A 1 GB instance at boot: about 600 MiB available, no swap.
    spit(t.path / "proc/meminfo", "MemTotal: 1004852 kB\nMemAvailable: 614400 kB\nSwapFree: 0 kB\n");
    auto why = memoryShortfall(host, 1024);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("only 600 MiB"), std::string::npos) << *why;
    EXPECT_NE(why->find("rebuild.min_memory_mb is 1024"), std::string::npos) << *why;
    EXPECT_FALSE(memoryShortfall(host, 0)) << "0 disables the check";
    EXPECT_FALSE(memoryShortfall(host, 512));
    // Swap counts.
    spit(t.path / "proc/meminfo", "MemTotal: 1004852 kB\nMemAvailable: 614400 kB\nSwapFree: 1048576 kB\n");
    EXPECT_FALSE(memoryShortfall(host, 1024));
}

// The wrapper flake as imprint writes it for the README's golden image, with a placeholder store
// path for the base: the NixOS tier (tests/nixos-real/rebuild-modes.py) evaluates this text, with
// the placeholder replaced by the real base's store path, on the real nixpkgs tree.
TEST(WrapperFlake, MatchesGoldenFile)
{
    WrapperFlake w;
    w.base = "path:/nix/store/00000000000000000000000000000000-source";
    w.attribute = "generic";
    w.hostname = "web-1";
    auto text = renderWrapperFlake(w);
    auto path = fs::path(IMPRINT_SOURCE_DIR) / "tests/fixtures/golden/wrapper-flake.nix";
    if (std::getenv("IMPRINT_UPDATE_GOLDEN"))
        spit(path, text);
    EXPECT_EQ(slurp(path), text) << path << " differs; regenerate with IMPRINT_UPDATE_GOLDEN=1 if intended";
}
