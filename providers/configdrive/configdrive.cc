// OpenStack config drive: a filesystem labelled config-2 (CONFIG-2 when vfat) holding
// openstack/<version>/meta_data.json and user_data, in the format openstack-format.cc reads.
// `--source configdrive:DIR` reads an unpacked drive from a directory.

#include "agent/system/error.hh"
#include "agent/fetch/mount.hh"
#include "providers/common/metadata-server.hh"
#include "providers/openstack/openstack-format.hh"

#include <filesystem>

namespace imprint {

namespace fs = std::filesystem;

namespace {

const char * const kLabels[] = {"config-2", "CONFIG-2"};

// Reads a config drive unpacked in (or mounted at) `drive`, a tree no link leaves; its files are
// seed files (regular, no symlink).
SourceData readDrive(const Host & drive, const std::string & shownAs)
{
    auto version = pickOpenStackVersion(drive.list("/openstack"));
    if (!version)
        throw Error(shownAs + ": no openstack/latest (or dated) directory: not a config drive");
    std::string vdir = "/openstack/" + *version;
    std::string metaOrigin = (fs::path(shownAs) / "openstack" / *version / "meta_data.json").string();
    auto meta = drive.readSeedFile(vdir + "/meta_data.json", kMetaDataCap);
    if (!meta)
        throw Error(metaOrigin + " is missing");
    SourceData d = parseOpenStackMetaData(*meta, metaOrigin);
    d.source = "configdrive";
    d.origin = shownAs;
    if (auto ud = drive.readSeedFile(vdir + "/user_data", kUserDataCap)) {
        d.userData = std::move(*ud);
        d.userDataOrigin = (fs::path(shownAs) / "openstack" / *version / "user_data").string();
    }
    return d;
}

class ConfigDriveProvider : public Provider
{
public:
    std::string name() const override { return "configdrive"; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        for (const char * label : kLabels) {
            std::string p = std::string("/dev/disk/by-label/") + label;
            if (host.exists(p))
                return "filesystem label " + std::string(label) + " (" + p + ")";
        }
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        if (ctx.location)
            return withContext("while reading the config drive directory " + *ctx.location,
                               [&] { return readDrive(Host(*ctx.location), *ctx.location); });
        for (const char * label : kLabels) {
            std::string p = std::string("/dev/disk/by-label/") + label;
            if (!ctx.host.exists(p))
                continue;
            if (!ctx.mounter)
                throw Error("the config drive " + p + " cannot be mounted here (no mounter)");
            return withContext("while reading the config drive " + p, [&] {
                MountedMedia media(*ctx.mounter, ctx.host.path(p), ctx.host.path(ctx.config.runDir),
                                   {"iso9660", "vfat"});
                return readDrive(Host(media.path()), p);
            });
        }
        throw Error("no filesystem labelled config-2 or CONFIG-2 in /dev/disk/by-label");
    }
};

} // namespace

std::unique_ptr<Provider> makeConfigDriveProvider()
{
    return std::make_unique<ConfigDriveProvider>();
}

} // namespace imprint
