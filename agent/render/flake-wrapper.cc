#include "agent/render/flake-wrapper.hh"
#include "agent/system/error.hh"
#include "agent/render/render.hh"

namespace imprint {

namespace {

void requireUsable(const std::string & what, const std::string & value)
{
    if (value.empty())
        throw Error("the wrapper flake's " + what + " is empty");
    for (unsigned char c : value)
        if (c < 0x20 || c == 0x7f)
            throw Error("the wrapper flake's " + what + " contains a control character");
}

} // namespace

std::string renderWrapperFlake(const WrapperFlake & w)
{
    requireUsable("base (rebuild.base)", w.base);
    requireUsable("attribute (rebuild.attribute)", w.attribute);
    requireUsable("overlay file name", w.overlayFile);
    if (w.overlayFile.find('/') != std::string::npos || w.overlayFile == "." || w.overlayFile == "..")
        throw Error("the wrapper flake's overlay must be a file in its own directory, not '" + w.overlayFile + "'");
    if (w.hostname)
        requireUsable("host name", *w.hostname);

    // `./host.nix` as a path literal when the name allows it; otherwise ./. + "/name" (still a
    // path inside the flake).
    bool literal = w.overlayFile.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+") == std::string::npos;
    std::string overlayPath = literal ? "./" + w.overlayFile : "(./. + " + nixString("/" + w.overlayFile) + ")";

    std::string out;
    out += "# Written by imprint (rebuild.base in /etc/imprint/imprint.yaml); every run rewrites it.\n";
    out += "# The image's configuration, pinned by its store path, extended with this machine's\n";
    out += "# overlay. Rebuild with: nixos-rebuild switch --flake path:<this directory>#" + w.attribute + "\n";
    out += "{\n";
    out += "  description = \"imprint: the image's configuration with this machine's overlay\";\n";
    out += "  inputs.base.url = " + nixString(w.base) + ";\n";
    out += "  outputs = { base, ... }:\n";
    out += "    let\n";
    out += "      system = base.nixosConfigurations." + nixAttrName(w.attribute) + ".extendModules {\n";
    out += "        modules = [ " + overlayPath + " ];\n";
    out += "      };\n";
    out += "    in\n";
    out += "    {\n";
    out += "      nixosConfigurations = {\n";
    out += "        " + nixAttrName(w.attribute) + " = system;\n";
    if (w.hostname && *w.hostname != w.attribute)
        out += "        " + nixAttrName(*w.hostname) + " = system;\n";
    out += "      };\n";
    out += "    };\n";
    out += "}\n";
    return out;
}

std::optional<WrapperFlake> wrapperFlakeFor(const Config & config, const std::optional<std::string> & hostname)
{
    if (!config.rebuild.base)
        return std::nullopt;
    WrapperFlake w;
    w.base = *config.rebuild.base;
    w.attribute = config.rebuild.attribute.value_or("");
    w.overlayFile = std::filesystem::path(config.overlayPath).filename().string();
    if (!config.preserveHostname)
        w.hostname = hostname;
    return w;
}

bool writeWrapperFlake(DiskInterface & files, const std::filesystem::path & dir, const std::string & text)
{
    auto flake = dir / "flake.nix";
    return withContext("while writing the wrapper flake " + flake.string(), [&] {
        auto current = files.readFile(flake, kMetaDataCap);
        if (current && *current == text)
            return false;
        files.makeDirs(dir, 0755);
        atomicWrite(files, flake, text, 0644);
        // A lock of another base would pin the old image; Nix re-locks without the network.
        files.remove(dir / "flake.lock");
        files.fsyncDir(dir);
        return true;
    });
}

std::optional<std::string> prepareWrapperFlake(DiskInterface & files, const Host & host, const Config & config,
    const std::optional<std::string> & hostname)
{
    auto wrapper = wrapperFlakeFor(config, hostname);
    if (!wrapper)
        return std::nullopt;
    auto dir = std::filesystem::path(config.overlayPath).parent_path();
    if (!writeWrapperFlake(files, host.path(dir.string()), renderWrapperFlake(*wrapper)))
        return std::nullopt;
    return "wrote the wrapper flake " + (dir / "flake.nix").string() + " (base " + wrapper->base + ")";
}

} // namespace imprint
