// The wrapper flake as Nix reads it: Debian's nix-instantiate parses the text imprint writes,
// and evaluates its `outputs` against a stand-in for the image's flake whose
// nixosConfigurations.generic.extendModules runs the stub module system (tests/nix/stub), with
// the image module, nix-module/module.nix and the overlay fixture. That is the whole path of
// wrapper mode short of nixpkgs: the rebuilt configuration has the overlay's host name and
// root device, and the image's own definitions where the overlay says nothing.

#include "agent/system/disk-interface.hh"
#include "agent/render/flake-wrapper.hh"
#include "tests/support/http-server-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace imprint;

namespace {

std::optional<std::string> findProgram(const std::string & name)
{
    const char * path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        auto end = dirs.find(':', start);
        if (end == std::string::npos)
            end = dirs.size();
        auto candidate = fs::path(dirs.substr(start, end - start)) / name;
        if (!candidate.parent_path().empty() && ::access(candidate.c_str(), X_OK) == 0)
            return candidate.string();
        start = end + 1;
    }
    return std::nullopt;
}

struct NixTempDir
{
    fs::path path;
    NixTempDir()
    {
        std::string tmpl = (fs::temp_directory_path() / "imprint-wrapper-nix-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~NixTempDir() { std::error_code ec; fs::remove_all(path, ec); }
};

} // namespace

TEST(FlakeWrapperNix, ParsesAndExtendsTheImageWithTheOverlay)
{
    auto nix = findProgram("nix-instantiate");
    if (!nix)
        GTEST_SKIP() << "nix-instantiate is not installed (Debian: nix-bin); cannot check the wrapper flake with Nix";

    NixTempDir t;
    const fs::path src = IMPRINT_SOURCE_DIR;
    const fs::path dir = t.path / "flake";
    fs::create_directories(dir);
    fs::copy_file(src / "tests/nix/fixtures/host.nix", dir / "host.nix");

    WrapperFlake w{"path:/nix/store/0c7k1hmd1b4bw4plkx0wk4ah1pmbp1dw-source", "generic", "host.nix", "web-1"};
    ASSERT_TRUE(writeWrapperFlake(realDisk(), dir, renderWrapperFlake(w)));

    auto parsed = test::runCapture({*nix, "--parse", (dir / "flake.nix").string()});
    ASSERT_EQ(parsed.exitCode, 0) << parsed.err;

    const std::string expr = R"(
      let
        stub = )" + (src / "tests/nix/stub").string() + R"(;
        lib = import (stub + "/lib.nix");
        pkgs = import (stub + "/pkgs.nix") { inherit lib; };
        imageModules = [
          (stub + "/nixos.nix")
          )" + (src / "nix-module/module.nix").string() + R"(
          )" + (src / "tests/nix/fixtures/image.nix").string() + R"(
          { services.imprint.enable = true; }
        ];
        # What nixpkgs' nixosSystem returns, as far as the wrapper uses it.
        nixosSystem = modules: (lib.evalModules { inherit modules; specialArgs = { inherit pkgs; }; }) // {
          extendModules = { modules }: nixosSystem (imageModules ++ modules);
        };
        base = { nixosConfigurations.generic = nixosSystem imageModules; };
        flake = import )" + (dir / "flake.nix").string() + R"(;
        outputs = flake.outputs { self = outputs; inherit base; };
        cfg = name: outputs.nixosConfigurations.${name}.config;
      in {
        url = flake.inputs.base.url;
        names = builtins.attrNames outputs.nixosConfigurations;
        image = base.nixosConfigurations.generic.config.networking.hostName;
        hostName = (cfg "generic").networking.hostName;
        sameUnderHostname = (cfg "web-1").networking.hostName;
        root = (cfg "generic").fileSystems."/";
        facts = (cfg "generic").services.imprint.facts;
      })";
    auto r = test::runCapture({*nix, "--store", "dummy://", "--eval", "--strict", "--json", "--expr", expr});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto got = nlohmann::json::parse(r.out);
    EXPECT_EQ(got["url"], w.base);
    EXPECT_EQ(got["names"], nlohmann::json::array({"generic", "web-1"}));
    EXPECT_EQ(got["image"], "nixos");
    EXPECT_EQ(got["hostName"], "web-1");
    EXPECT_EQ(got["sameUnderHostname"], "web-1");
    EXPECT_EQ(got["root"]["device"], "/dev/vda3");
    EXPECT_EQ(got["root"]["label"], nullptr);
    EXPECT_EQ(got["root"]["autoResize"], true);  // the image's, kept
    EXPECT_EQ(got["facts"]["labels"]["app.kubernetes.io/name"], "web");
}
